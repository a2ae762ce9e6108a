"""The virtual lab end to end: machines register through the real agent and gRPC server,
their BMCs answer the real worker, and one bulk admin action deploys them to INSTALLED."""

import random
import threading
import time

import pytest
from django.urls import reverse

from bearman.models import Baremetal, BootStepName
from bearman.services.timeline import (
    BAREMETAL_STEPS,
    REGISTRATION_STEPS,
    baremetal_timeline,
    registration_timeline,
)
from bearman.states import DeployStatus, NodeStatus
from ipman.services import pool_create
from lab.process.lab import Lab
from lab.process.setup import ZONE, lab_assign_flavor, lab_nodes, lab_prepare
from tests.bearman.grpc.conftest import ENROLLMENT, start_server, stop_server
from tests.bearman.power.worker import celery_worker, shared_broker

pytestmark = pytest.mark.django_db(transaction=True)
MACHINES = 4


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"not within {seconds} s: {what}")


def test_lab_machines_register_and_one_bulk_action_deploys_them(
    admin_client, live_server, settings, tmp_path
):
    settings.BEARMAN_PUBLIC_URL = live_server.url
    # The scripts this process renders and serves, beside the gRPC server's (its var dir).
    settings.BEARMAN_IPXE_RENDER_DIR = str(tmp_path / "ipxe")
    settings.BEARMAN_BMC_CHECK_DELAY_SECONDS = 1
    # BMCs on loopback addresses of this run's own, not the lab's default 127.1.0.0/16,
    # which another lab on this host (a benchmark, `make run LAB=N`) may hold on port 623.
    network = f"127.{random.randrange(3, 255)}.{random.randrange(256)}.0/24"
    pool_create(name="lab-ipmi", network=network, purpose="ipmi", availability_zone=ZONE)
    flavor = lab_prepare()
    with shared_broker(tmp_path) as broker_env:
        env = {
            **broker_env,
            "BEARMAN_BMC_CHECK_DELAY_SECONDS": "1",
            "BEARMAN_POWER_RETRY_SECONDS": "1",
            "BEARMAN_PUBLIC_URL": live_server.url,
        }
        grpc_process, grpc_target = start_server(env)
        settings.BEARMAN_GRPC_PUBLIC_ADDRESS = grpc_target
        lab = Lab(root=tmp_path / "lab", count=MACHINES, web_url=live_server.url, token=ENROLLMENT)
        uuids = [machine.uuid for machine in lab.machines]
        stop = threading.Event()
        try:
            with celery_worker(env, log=tmp_path / "worker.log"):
                threading.Thread(target=lab.run, kwargs={"stop": stop}, daemon=True).start()
                lab.press_power_buttons()
                wait_until(
                    lambda: lab_nodes(uuids).filter(status=NodeStatus.READY).count() == MACHINES,
                    120,
                    "every lab node READY",
                )
                assert all(m.get("power") == "off" for m in lab.machines), "registered, then off"
                lab_assign_flavor(flavor=flavor, uuids=uuids)
                response = admin_client.post(
                    reverse("admin:bearman_node_changelist"),
                    {
                        "action": "deploy_default_profile",
                        "_selected_action": list(lab_nodes(uuids).values_list("pk", flat=True)),
                    },
                    follow=True,
                )
                assert f"{MACHINES} Baremetal(s) started" in response.content.decode()
                wait_until(
                    lambda: (
                        Baremetal.objects.filter(status=DeployStatus.INSTALLED).count() == MACHINES
                    ),
                    180,
                    "every deployment INSTALLED",
                )
        finally:
            stop.set()
            stop_server(grpc_process)
    assert all(machine.get("os") == "installed" for machine in lab.machines)
    for uuid in uuids:
        registered = registration_timeline(uuid=uuid)
        assert [e.step for e in registered.entries] == list(REGISTRATION_STEPS), uuid
        deployed = baremetal_timeline(baremetal=Baremetal.objects.get(node__uuid=uuid))
        assert [e.step for e in deployed.entries] == list(BAREMETAL_STEPS), uuid
        assert deployed.entries[0].detail.startswith("Power on by")
        assert all(e.since_previous.total_seconds() >= 0 for e in deployed.entries[1:])
        assert deployed.state == "done" and deployed.stopped_after == BootStepName.INSTALLED
