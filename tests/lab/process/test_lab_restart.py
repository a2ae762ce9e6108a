"""`manage.py lab --nodes N` started again on the same var dir, as a second `make run LAB=N`
does: its machines keep their identities and their BMCs answer at once; a machine whose
state is gone is removed from Bearman and registers afresh. Each machine reports its own
NIC and memory, not the host's."""

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bearman.models import Node, PowerOperation
from bearman.models.power import OperationState
from bearman.services.power.request import power_action_request
from bearman.states import NodeStatus
from ipman.services import pool_create
from lab.process.machine import LabMachine
from lab.process.setup import ZONE, lab_nodes
from tests.bearman.grpc.conftest import server_env, start_server, stop_server
from tests.bearman.power.worker import celery_worker, shared_broker
from tests.lab.process.test_lab import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
MACHINES = 3
ROOT = Path(__file__).resolve().parents[3]


class LabProcess:
    """`python manage.py lab --nodes N` as make run's Procfile starts it."""

    def __init__(self, env: dict, web_url: str, log: Path):
        self.log = log
        with open(log, "a") as output:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "lab", "--nodes", str(MACHINES)]
                + ["--web-url", web_url],
                cwd=ROOT,
                env={**env, "PYTHONUNBUFFERED": "1"},
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def bmcs_up(self) -> bool:
        """The lab's last progress line counts every BMC up."""
        lines = [line for line in self.log.read_text().splitlines() if "'BMCs up'" in line]
        assert self.process.poll() is None, self.log.read_text()
        return bool(lines) and f"'BMCs up': {MACHINES}" in lines[-1]

    def stop(self) -> None:
        # honcho's way (Ctrl-C of make run): SIGTERM, and the lab stops its machines.
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)


def power_on_seconds(node: Node) -> float:
    """How long a power-on of `node` takes through the worker; it must succeed."""
    started = time.monotonic()
    operation = power_action_request(node=node, action="on", actor="test")
    done = (OperationState.SUCCEEDED, OperationState.FAILED)
    wait_until(
        lambda: PowerOperation.objects.get(pk=operation.pk).state in done,
        60,
        f"power on of {node.uuid} finished",
    )
    operation.refresh_from_db()
    assert operation.state == OperationState.SUCCEEDED, operation.error
    return time.monotonic() - started


def all_ready(uuids: list[str]) -> bool:
    return lab_nodes(uuids).filter(status=NodeStatus.READY).count() == len(uuids)


def test_a_restarted_lab_keeps_its_machines_and_their_bmcs(live_server, settings, tmp_path):
    settings.BEARMAN_PUBLIC_URL = live_server.url
    settings.BEARMAN_IPXE_RENDER_DIR = str(tmp_path / "ipxe")  # the lab process's too
    settings.BEARMAN_BMC_CHECK_DELAY_SECONDS = 1
    # BMCs on loopback addresses of this run's own (see test_lab.py).
    network = f"127.{random.randrange(3, 255)}.{random.randrange(256)}.0/24"
    pool_create(name="lab-ipmi", network=network, purpose="ipmi", availability_zone=ZONE)
    machines = [LabMachine(i, tmp_path / "process-lab" / f"machine-{i}") for i in (1, 2, 3)]
    uuids = [machine.uuid for machine in machines]
    with shared_broker(tmp_path) as broker_env:
        env = {
            **broker_env,  # BEARMAN_VAR_DIR: the lab keeps its machines in there
            "BEARMAN_BMC_CHECK_DELAY_SECONDS": "1",
            "BEARMAN_POWER_RETRY_SECONDS": "1",
            "BEARMAN_PUBLIC_URL": live_server.url,
        }
        grpc_process, grpc_target = start_server(env)
        settings.BEARMAN_GRPC_PUBLIC_ADDRESS = grpc_target
        lab_env = server_env(env)
        try:
            with celery_worker(env, log=tmp_path / "worker.log"):
                lab = LabProcess(lab_env, live_server.url, tmp_path / "lab-1.log")
                try:
                    wait_until(lambda: all_ready(uuids), 120, "every lab node READY")
                finally:
                    lab.stop()
                nodes = {node.uuid: node for node in lab_nodes(uuids)}
                for machine in machines:
                    facts = nodes[machine.uuid].facts
                    assert [nic["mac"] for nic in facts["nics"]] == [machine.mac]
                    assert facts["memory_bytes"] == machine.memory_bytes
                assert Node.objects.filter(mac_addresses__contains=machines[0].mac).count() == 1
                bmcs = {uuid: node.bmc_address for uuid, node in nodes.items()}

                lab = LabProcess(lab_env, live_server.url, tmp_path / "lab-2.log")
                try:
                    wait_until(lab.bmcs_up, 30, "every BMC up again")
                    assert all_ready(uuids), "nobody registered again: nothing to"
                    seconds = power_on_seconds(nodes[machines[0].uuid])
                    assert seconds < 10, f"power on took {seconds:.1f} s"
                    wait_until(lambda: machines[0].get("power") == "on", 10, "machine 1 on")
                    assert machines[1].get("power") == "off", "machines left off stay off"
                finally:
                    lab.stop()
                assert {n.uuid: n.bmc_address for n in lab_nodes(uuids)} == bmcs

                # A machine whose state is gone: its node goes, it registers afresh.
                shutil.rmtree(machines[2].root)
                lab = LabProcess(lab_env, live_server.url, tmp_path / "lab-3.log")
                try:
                    wait_until(lab.bmcs_up, 90, "every BMC up, the new machine's too")
                    wait_until(lambda: all_ready(uuids), 60, "every lab node READY")
                    assert power_on_seconds(lab_nodes([machines[2].uuid]).get()) < 10
                finally:
                    lab.stop()
                assert "1 nodes Bearman knew have no machine state" in lab.log.read_text()
        finally:
            (tmp_path / "grpc.log").write_text(stop_server(grpc_process))
