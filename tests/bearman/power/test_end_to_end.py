"""Admin request → broker → real `celery worker` process → virtual BMC over UDP → database."""

import signal
import time

import pytest
from django.db import transaction
from django.urls import reverse

from bearman.models import BulkState, Node, OperationState, PowerBulk, PowerOperation
from bearman.services import node_set_bmc_password
from bearman.services.power.bmc_check import bmc_checks_request
from bearman.states import NodeStatus
from tests.factories import NodeFactory

from .helpers import PASSWORD, USER, free_port_range, ipmitool, virtual_bmcs
from .worker import celery_worker, kill_worker, shared_broker

pytestmark = pytest.mark.django_db(transaction=True)
CHANGELIST = reverse("admin:bearman_node_changelist")
WORKER_SETTINGS = {
    "BEARMAN_BMC_TIMEOUT": "2",
    "BEARMAN_POWER_RETRIES": "0",
    "BEARMAN_POWER_OPERATION_SECONDS": "20",
}


@pytest.fixture
def worker_env(tmp_path):
    with shared_broker(tmp_path) as env:
        yield {**env, **WORKER_SETTINGS}


def ipmi_node(port):
    node = NodeFactory(bmc_address="127.0.0.1", bmc_port=port, bmc_username=USER)
    return node_set_bmc_password(node=node, password=PASSWORD, actor="test")


def wait_until_finished(operation_id: int, seconds: float) -> PowerOperation:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        operation = PowerOperation.objects.get(pk=operation_id)
        if operation.state in (OperationState.SUCCEEDED, OperationState.FAILED):
            return operation
        time.sleep(0.2)
    return operation


def test_admin_power_on_reaches_the_bmc_through_the_worker(admin_client, worker_env, tmp_path):
    with virtual_bmcs(2) as port, celery_worker(worker_env, log=tmp_path / "worker.log"):
        running, stopped = ipmi_node(port), ipmi_node(free_port_range(1))
        form = {"action": "power_on", "_selected_action": [running.pk, stopped.pk]}
        started = time.monotonic()
        assert admin_client.post(CHANGELIST, form).status_code == 302
        on = PowerOperation.objects.get(node=running)
        failed = PowerOperation.objects.get(node=stopped)
        on = wait_until_finished(on.pk, 30)
        assert on.state == OperationState.SUCCEEDED, (on.error, (tmp_path / "worker.log"))
        assert ipmitool(port, "chassis", "power", "status").strip() == "Chassis Power is on"
        failed = wait_until_finished(failed.pk, 30)
        assert failed.state == OperationState.FAILED
        assert failed.error == f"BMC 127.0.0.1:{stopped.bmc_port} did not answer within 2 s"
        assert time.monotonic() - started < 20
    running.refresh_from_db()
    assert running.power_state == "on"


def test_a_worker_killed_mid_operation_never_leaves_it_running(worker_env, tmp_path):
    # A BMC that never answers keeps the operation RUNNING for the whole BMC timeout.
    silent = ipmi_node(free_port_range(1))
    env = {**worker_env, "BEARMAN_BMC_TIMEOUT": "15", "BEARMAN_POWER_OPERATION_SECONDS": "5"}
    env["BEARMAN_POWER_REAP_SECONDS"] = "1"
    log = tmp_path / "worker.log"
    with celery_worker(env, log=log) as first:
        from bearman.services.power.request import power_action_request

        operation = power_action_request(node=silent, action="on", actor="alice")
        deadline = time.monotonic() + 30
        while PowerOperation.objects.get(pk=operation.pk).state != OperationState.RUNNING:
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.05)
        kill_worker(first, signal.SIGKILL)
    assert PowerOperation.objects.get(pk=operation.pk).state == OperationState.RUNNING
    with celery_worker(env, beat=True, log=log):
        operation = wait_until_finished(operation.pk, 60)
    assert operation.state in (OperationState.SUCCEEDED, OperationState.FAILED)
    assert operation.state == OperationState.SUCCEEDED or operation.error


def test_bmc_checks_queued_as_one_message_each_run_in_the_worker(worker_env, tmp_path, settings):
    """A registration batch queues its BMC checks with one message; the worker runs each."""
    settings.BEARMAN_BMC_CHECK_DELAY_SECONDS = 0
    nodes = [NodeFactory(bmc_driver="fake", bmc_address=f"127.0.0.{n}") for n in (1, 2, 3)]
    with celery_worker(worker_env, log=tmp_path / "worker.log"):
        with transaction.atomic():  # queued once this commits
            bmc_checks_request(node_ids=[node.pk for node in nodes])
        operations = PowerOperation.objects.filter(node__in=nodes)
        finished = [wait_until_finished(operation.pk, 30) for operation in operations]
    assert [operation.state for operation in finished] == [OperationState.SUCCEEDED] * 3
    assert set(Node.objects.values_list("status", flat=True)) == {NodeStatus.READY}


def test_a_bulk_request_queues_each_batch_as_soon_as_the_last_one_finished(worker_env, tmp_path):
    # The bulk's own look comes only every minute here: the batches must not wait for it.
    env = {**worker_env, "BEARMAN_POWER_BULK_POLL_SECONDS": "60"}
    with virtual_bmcs(6) as port, celery_worker(env, log=tmp_path / "worker.log"):
        from bearman.services.power.bulk import power_bulk_request

        nodes = [ipmi_node(port + i) for i in range(6)]
        started = time.monotonic()
        bulk = power_bulk_request(nodes=nodes, action="on", actor="alice", batch_size=2)
        while PowerBulk.objects.get(pk=bulk.pk).state == BulkState.RUNNING:
            assert time.monotonic() - started < 30, (tmp_path / "worker.log").read_text()[-2000:]
            time.sleep(0.2)
        seen = [ipmitool(port + i, "chassis", "power", "status").strip() for i in range(6)]
    assert seen == ["Chassis Power is on"] * 6
    bulk.refresh_from_db()
    assert bulk.state == BulkState.COMPLETED
    assert len(bulk.operation_ids) == 6
    operations = PowerOperation.objects.filter(pk__in=bulk.operation_ids)
    assert {operation.state for operation in operations} == {OperationState.SUCCEEDED}


def test_an_operators_action_overtakes_a_queue_of_background_bmc_checks(
    worker_env, tmp_path, settings
):
    """BMC checks wait in their own lane: power on is not queued behind hundreds of them."""
    nodes = [
        NodeFactory(bmc_driver="fake", bmc_address=f"127.0.{n // 250}.{n % 250}")
        for n in range(400)
    ]
    operator_node = NodeFactory(bmc_driver="fake", bmc_address="127.1.0.1")
    checks = PowerOperation.objects.filter(node__in=nodes)
    settings.BEARMAN_BMC_CHECK_DELAY_SECONDS = 0
    with celery_worker(worker_env, log=tmp_path / "worker.log"):
        with transaction.atomic():
            bmc_checks_request(node_ids=[node.pk for node in nodes])
        started = time.monotonic()
        while checks.filter(state=OperationState.SUCCEEDED).count() < 20:  # all queued now
            assert time.monotonic() - started < 60, (tmp_path / "worker.log").read_text()[-2000:]
            time.sleep(0.05)
        from bearman.services.power.request import power_action_request

        operation = power_action_request(node=operator_node, action="on", actor="alice")
        operation = wait_until_finished(operation.pk, 30)
        checked_meanwhile = checks.filter(state=OperationState.SUCCEEDED).count()
    assert operation.state == OperationState.SUCCEEDED
    assert checked_meanwhile < 150, "the power on waited behind the BMC checks"
