"""`bearman node power` for real: the CLI → the live server → the broker → a real worker.

Fake BMCs obey at once; an IPMI BMC on a port nobody listens on fails after its
1-second timeout, so the guard rails have something to stop on.
"""

import json
import re

import pytest

from bearman.models import BmcDriver, FakeBmc, PowerOperation
from bearman.operator_cli.errors import EXIT_OPERATION_FAILED
from tests.bearman.power.helpers import free_port_range
from tests.bearman.power.worker import celery_worker, shared_broker
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db(transaction=True)
PROGRESS = re.compile(r"^power (\w+): (\d+)/(\d+) finished \((\d+) succeeded, (\d+) failed\)")


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    """One real worker for the module, on the test database and a broker of its own."""
    folder = tmp_path_factory.mktemp("worker")
    with shared_broker(folder) as env:
        env = {
            **env,
            "BEARMAN_BMC_TIMEOUT": "1",
            "BEARMAN_POWER_RETRIES": "0",
            "BEARMAN_POWER_BULK_POLL_SECONDS": "1",
        }
        with celery_worker(env, log=folder / "worker.log"):
            yield


@pytest.fixture(autouse=True)
def _bulk_looks_every_second(settings):
    settings.BEARMAN_POWER_BULK_POLL_SECONDS = 1


def fake_nodes(count: int, **kwargs):
    return [NodeFactory(bmc_driver=BmcDriver.FAKE, **kwargs) for _ in range(count)]


def silent_node():
    return NodeFactory(bmc_address="127.0.0.1", bmc_port=free_port_range(1))


def finished_counts(stderr: str) -> list[int]:
    return [int(m.group(2)) for line in stderr.splitlines() if (m := PROGRESS.match(line))]


def test_power_on_many_nodes_in_batches_with_progress(cli, worker):
    nodes = fake_nodes(5)
    result = cli.run("node", "power", "on", *[n.uuid for n in nodes], "--batch-size", "2")
    assert result.returncode == 0, result.stderr
    counts = finished_counts(result.stderr)
    assert counts[0] == 0 and counts[-1] == 5 and counts == sorted(counts)
    # It showed the batches: the first two in flight, the other three waiting their turn.
    # (Each batch now follows the last at once, so the lines in between depend on timing.)
    first = next(line for line in result.stderr.splitlines() if PROGRESS.match(line))
    assert first.endswith("in flight, 3 waiting") and ", 0 in flight" not in first, first
    assert "power on: 5/5 finished (5 succeeded, 0 failed)" in result.stderr
    rows = result.stdout.splitlines()[1:]
    assert len(rows) == 5 and all("succeeded" in row and "power is on" in row for row in rows)
    assert set(FakeBmc.objects.values_list("power", flat=True)) == {"on"}


def test_json_output_parses_back_with_each_operation(cli, worker):
    nodes = fake_nodes(3, status="ready", availability_zone="az7")
    result = cli.run("node", "power", "status", "--where", "availability_zone=az7", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["state"] == "completed"
    assert answer["progress"]["succeeded"] == 3
    details = answer["operation_details"]
    assert sorted(op["node"] for op in details) == sorted(n.uuid for n in nodes)
    assert {op["result"] for op in details} == {"power is off"}


def test_too_many_failures_stop_the_rest_and_exit_non_zero(cli, worker):
    dead = [silent_node(), silent_node()]
    alive = fake_nodes(3)
    result = cli.run(
        "node", "power", "on", *[n.uuid for n in dead + alive],
        "--batch-size", "2", "--max-failure-percent", "25",
    )  # fmt: skip
    assert result.returncode == EXIT_OPERATION_FAILED, result.stderr
    assert "stopped: 2 of 2 failed (100%), more than the 25% allowed" in result.stderr
    assert "did not answer within 1 s" in result.stdout
    assert not PowerOperation.objects.filter(node__in=alive).exists()
    assert not FakeBmc.objects.exists()


def test_power_operations_list_after_the_fact(cli, worker):
    node = fake_nodes(1)[0]
    cli.run("node", "power", "on", node.uuid)
    listed = cli.json("power", "list", "--node", node.uuid)
    assert [(op["action"], op["state"]) for op in listed] == [("on", "succeeded")]
    assert cli.json("power", "show", str(listed[0]["id"]))["result"] == "power is on"
