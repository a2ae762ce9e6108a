"""Power operations through the services, against virtual BMCs over real UDP."""

import datetime

import pytest
from django.utils import timezone

from bearman.errors import PowerNotConfigured, PowerOperationInFlight
from bearman.models import (
    BmcDriver,
    Event,
    EventKind,
    FakeBmc,
    Node,
    OperationState,
    PowerOperation,
)
from bearman.services import node_set_bmc_password
from bearman.services.power.request import power_action_request, power_actions_request_many
from bearman.services.power.run import (
    PowerOperationRequeued,
    power_operation_run,
    power_operations_reap,
)
from tests.bearman.power.helpers import (
    PASSWORD,
    USER,
    bmc_silent_after_login,
    free_port_range,
    ipmitool,
    silent_bmcs,
    virtual_bmcs,
)
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def bmc_port():
    with virtual_bmcs(3) as base_port:
        yield base_port


def ipmi_node(port, *, password=PASSWORD, **options):
    node = NodeFactory(
        bmc_address="127.0.0.1", bmc_port=port, bmc_username=USER, bmc_options=options
    )
    return node_set_bmc_password(node=node, password=password, actor="test")


def run(node, action, *, attempts=1):
    operation = power_action_request(node=node, action=action, actor="alice")
    return power_operation_run(operation_id=operation.pk, attempts=attempts)


def test_power_on_succeeds_and_the_node_and_its_log_say_so(bmc_port):
    node = ipmi_node(bmc_port)
    operation = run(node, "on")
    assert operation.state == OperationState.SUCCEEDED
    assert operation.result == "power is on" and operation.attempts == 1
    assert operation.started_at <= operation.finished_at
    assert ipmitool(bmc_port, "chassis", "power", "status").strip() == "Chassis Power is on"
    node.refresh_from_db()
    assert node.power_state == "on" and node.power_state_at is not None
    event = Event.objects.filter(node=node, kind=EventKind.POWER).get()
    assert event.message == "Power on succeeded: power is on" and event.actor == "alice"


def test_a_second_request_while_one_is_in_flight_is_refused(bmc_port):
    node = ipmi_node(bmc_port + 1)
    first = power_action_request(node=node, action="off", actor="alice")
    with pytest.raises(PowerOperationInFlight, match=rf"#{first.pk} Power off, pending"):
        power_action_request(node=node, action="on", actor="bob")
    power_operation_run(operation_id=first.pk)
    assert power_action_request(node=node, action="on", actor="bob").state == "pending"


def test_a_node_without_a_bmc_address_is_refused():
    with pytest.raises(PowerNotConfigured, match="has no BMC address"):
        power_action_request(node=NodeFactory(bmc_address=None), action="on", actor="alice")


def test_an_operation_runs_once_however_often_its_task_is_delivered(bmc_port):
    node = ipmi_node(bmc_port + 2)
    operation = power_action_request(node=node, action="status", actor="alice")
    assert power_operation_run(operation_id=operation.pk).state == OperationState.SUCCEEDED
    assert power_operation_run(operation_id=operation.pk) is None
    assert PowerOperation.objects.get(pk=operation.pk).attempts == 1


def test_a_wrong_password_fails_in_plain_words(bmc_port):
    operation = run(ipmi_node(bmc_port, password="wrong"), "status")
    assert operation.state == OperationState.FAILED
    assert "authentication failed for user admin" in operation.error


def test_an_unreachable_bmc_is_retried_then_fails_and_the_state_becomes_unknown():
    port = free_port_range(1)
    node = ipmi_node(port, timeout=1)
    operation = power_action_request(node=node, action="on", actor="alice")
    with pytest.raises(PowerOperationRequeued) as requeued:
        power_operation_run(operation_id=operation.pk, attempts=2)
    assert requeued.value.attempt == 1
    operation.refresh_from_db()
    assert operation.state == OperationState.PENDING
    assert operation.error.startswith("attempt 1 failed, trying again: BMC 127.0.0.1:")
    operation = power_operation_run(operation_id=operation.pk, attempts=2)
    assert operation.state == OperationState.FAILED and operation.attempts == 2
    assert operation.error == f"BMC 127.0.0.1:{port} did not answer within 1 s"
    node.refresh_from_db()
    assert node.power_state == "unknown"


def test_a_bmc_that_never_answers_leaves_the_power_state_unknown():
    with silent_bmcs(1) as (bmc,):
        node = ipmi_node(bmc.port, timeout=6)
        Node.objects.filter(pk=node.pk).update(power_state="on")
        operation = run(node, "status")
    assert operation.state == OperationState.FAILED
    assert operation.error == f"BMC 127.0.0.1:{bmc.port} did not answer within 6 s"
    node.refresh_from_db()
    assert node.power_state == "unknown"


def test_a_bmc_that_stops_answering_after_login_leaves_the_power_state_unknown(bmc_port):
    with bmc_silent_after_login(bmc_port + 1) as relay:
        node = ipmi_node(relay.port, timeout=2)
        Node.objects.filter(pk=node.pk).update(power_state="on")
        operation = run(node, "off")
    assert operation.state == OperationState.FAILED
    assert operation.error == (
        f"BMC 127.0.0.1:{relay.port} stopped answering after login: no answer to power status"
    )
    node.refresh_from_db()
    assert node.power_state == "unknown"


def test_a_reset_is_never_repeated_after_a_transient_error():
    node = ipmi_node(free_port_range(1), timeout=1)
    operation = run(node, "reset", attempts=2)
    assert operation.state == OperationState.FAILED and operation.attempts == 1


def test_the_reaper_fails_operations_whose_worker_vanished():
    node = NodeFactory(power_state="on")
    lost = PowerOperation.objects.create(
        node=node,
        action="cycle",
        requested_by="alice",
        state=OperationState.RUNNING,
        deadline_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    forgotten = PowerOperation.objects.create(
        node=NodeFactory(),
        action="on",
        requested_by="bob",
        queued_at=timezone.now() - datetime.timedelta(hours=1),
    )
    running = PowerOperation.objects.create(
        node=NodeFactory(),
        action="on",
        requested_by="carol",
        state=OperationState.RUNNING,
        deadline_at=timezone.now() + datetime.timedelta(minutes=1),
    )
    assert power_operations_reap() == 2
    lost.refresh_from_db(), forgotten.refresh_from_db(), running.refresh_from_db()
    assert lost.state == forgotten.state == OperationState.FAILED
    assert "the worker running it stopped before it finished" in lost.error
    assert forgotten.error.startswith("no worker took it within 15 min; it was due to be sent")
    assert "no Celery worker answered: is one running?" in forgotten.error
    assert running.state == OperationState.RUNNING
    node.refresh_from_db()
    assert node.power_state == "unknown"
    assert Event.objects.filter(node=node, message__startswith="Power cycle failed").exists()


def test_the_fake_driver_keeps_its_machine_in_the_database():
    node = NodeFactory(bmc_driver=BmcDriver.FAKE, bmc_address="10.9.9.9")
    assert run(node, "boot_network").result == "next boot from network"
    assert FakeBmc.objects.get(address="10.9.9.9").boot_device == "network"
    assert run(node, "on").result == "power is on"
    fake = FakeBmc.objects.get(address="10.9.9.9")
    assert (fake.power, fake.boot_device) == ("on", "")


def test_many_requests_are_recorded_as_one_is_and_skip_a_node_with_one_in_flight():
    # One statement on PostgreSQL, the ORM on SQLite: the same rows either way.
    idle, busy = NodeFactory(), NodeFactory()
    by_hand = power_action_request(node=busy, action="status", actor="alice")
    ids = power_actions_request_many(node_ids=[idle.pk, busy.pk], action="status", actor="system")
    (made,) = PowerOperation.objects.filter(pk__in=ids)
    assert made.node_id == idle.pk and made.requested_by == "system"
    same = ["action", "state", "result", "error", "attempts", "started_at", "finished_at"]
    assert [getattr(made, f) for f in same] == [getattr(by_hand, f) for f in same]
    assert PowerOperation.objects.filter(node=busy).count() == 1
