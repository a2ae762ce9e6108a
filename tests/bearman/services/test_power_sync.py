"""The power-state sync against virtual BMCs: batches, states, unreachable BMCs."""

import time

import pytest

from bearman.models import Event, EventKind, Node, OperationState, PowerOperation
from bearman.services import node_set_bmc_password
from bearman.services.power.sync import power_sync_batches, power_sync_nodes
from bearman.states import NodeStatus
from tests.bearman.power.helpers import (
    PASSWORD,
    USER,
    free_port_range,
    ipmitool,
    silent_bmcs,
    virtual_bmcs,
)
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db


def ipmi_node(port, **fields):
    node = NodeFactory(
        bmc_address="127.0.0.1",
        bmc_port=port,
        bmc_username=USER,
        bmc_options={"timeout": 1},
        **fields,
    )
    return node_set_bmc_password(node=node, password=PASSWORD, actor="test")


def test_sync_stores_what_each_bmc_says_and_marks_silent_ones_unknown():
    with virtual_bmcs(2) as port:
        ipmitool(port + 1, "chassis", "power", "on")
        off, on = ipmi_node(port, power_state="on"), ipmi_node(port + 1)
        silent = ipmi_node(free_port_range(1), power_state="off")
        busy = ipmi_node(port)
        PowerOperation.objects.create(
            node=busy, action="on", requested_by="alice", state=OperationState.RUNNING
        )
        report = power_sync_nodes(node_ids=[off.pk, on.pk, silent.pk, busy.pk])
    assert report.seen == {off.pk: "off", on.pk: "on"}
    assert "did not answer within 1 s" in report.failed[silent.pk]
    for node, state in [(off, "off"), (on, "on"), (silent, "unknown"), (busy, "unknown")]:
        node.refresh_from_db()
        assert node.power_state == state, node
    unknown = Event.objects.get(node=silent, kind=EventKind.POWER)
    assert unknown.message.startswith("Power state unknown: BMC 127.0.0.1:")
    assert (
        Event.objects.get(node=off, kind=EventKind.POWER).message
        == "Power state seen by the sync: on → off"
    )
    assert not Event.objects.filter(node=busy, kind=EventKind.POWER).exists()


def test_one_process_syncs_the_same_bmcs_round_after_round():
    # pyghmi_compat, 7: workers keep their pool processes, so one process logs in to the
    # same BMCs again after many other sessions; every round must hear every BMC.
    with virtual_bmcs(60) as port:
        for on in range(port, port + 60, 3):
            ipmitool(on, "chassis", "power", "on")
        nodes = [ipmi_node(port + i) for i in range(60)]
        # A live BMC slowed by a loaded machine is not what this is about: 5 s, not 1.
        Node.objects.filter(pk__in=[node.pk for node in nodes]).update(bmc_options={"timeout": 5})
        rounds = [
            power_sync_nodes(node_ids=[node.pk for node in nodes], parallel=8) for _ in range(4)
        ]
    expected = {node.pk: "on" if (node.bmc_port - port) % 3 == 0 else "off" for node in nodes}
    for report in rounds:
        assert report.failed == {}
        assert report.seen == expected


def test_batches_keep_the_nodes_of_one_bmc_together_and_skip_retired_nodes():
    shared = [NodeFactory(bmc_address="10.0.0.1", bmc_port=623) for _ in range(3)]
    others = [NodeFactory(bmc_address=f"10.0.1.{i}") for i in range(4)]
    NodeFactory(bmc_address="10.0.2.1", status=NodeStatus.RETIRED)
    NodeFactory(bmc_address=None)
    batches = power_sync_batches(size=2)
    assert sorted(pk for batch in batches for pk in batch) == sorted(
        node.pk for node in shared + others
    )
    assert any({n.pk for n in shared} <= set(batch) for batch in batches)


def timed_sync(nodes, *, parallel=16):
    started = time.monotonic()
    report = power_sync_nodes(node_ids=[node.pk for node in nodes], parallel=parallel)
    return report, started, time.monotonic() - started


def test_silent_bmcs_in_a_batch_cost_about_one_timeout_not_one_each():
    with virtual_bmcs(6) as port, silent_bmcs(8) as silent:
        for on in (port, port + 3):
            ipmitool(on, "chassis", "power", "on")
        live = [ipmi_node(port + i) for i in range(6)]
        gone = [ipmi_node(bmc.port, power_state="off") for bmc in silent]
        _, _, alone = timed_sync(gone[:1])
        report, _, elapsed = timed_sync(live + gone)
    assert report.seen == {
        node.pk: "on" if node.bmc_port in (port, port + 3) else "off" for node in live
    }
    assert set(report.failed) == {node.pk for node in gone}
    assert all("did not answer within 1 s" in error for error in report.failed.values())
    # One after the other, the eight silent BMCs would take eight times as long.
    assert elapsed < 2 * alone, (elapsed, alone)
    unknown = Event.objects.filter(node__in=gone, message__startswith="Power state unknown")
    assert unknown.count() == 8


def test_nodes_behind_one_bmc_are_asked_one_after_the_other():
    with silent_bmcs(4) as (shared, *single):
        behind_shared = [ipmi_node(shared.port) for _ in range(3)]
        alone = [ipmi_node(bmc.port) for bmc in single]
        report, started, elapsed = timed_sync(behind_shared + alone)
    assert len(report.failed) == 6
    # The BMCs with one node each were all asked at once, right at the start ...
    assert all(bmc.arrivals[0] - started < 0.5 for bmc in single)
    # ... while the shared BMC was asked about its three nodes in turn, so it heard
    # from us for about three times as long.
    one_node = max(bmc.arrivals[-1] - bmc.arrivals[0] for bmc in single)
    assert shared.arrivals[-1] - shared.arrivals[0] > 2 * one_node, (shared.arrivals, one_node)
    assert elapsed > 2 * one_node
