"""The periodic power-state refresh of every node with a BMC.

Work is cut into batches (tasks) that spread over the worker's processes: that is the
bound per worker. All nodes behind one BMC land in the same batch and are asked one
after the other: that is the bound per BMC. A BMC that does not answer makes its nodes
`unknown` with an Event; it never fails the sync.
"""

import itertools
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from bearman.models import IN_FLIGHT, EventKind, Node, PowerState
from bearman.power import BmcError
from bearman.states import NodeStatus

from .bmc_check import nodes_mark_bmc_answered
from .events import event_record
from .power_drivers import power_driver_for, power_target_for


@dataclass
class SyncReport:
    """What one batch found."""

    seen: dict[int, str] = field(default_factory=dict)  # node id → on/off
    failed: dict[int, str] = field(default_factory=dict)  # node id → error in words


def power_sync_batches(*, size: int) -> list[list[int]]:
    """Ids of the nodes to refresh, in batches that never split one BMC's nodes."""
    rows = (
        Node.objects.exclude(bmc_address=None)
        .exclude(status=NodeStatus.RETIRED)
        .order_by("bmc_address", "bmc_port", "pk")
        .values_list("pk", "bmc_address", "bmc_port")
    )
    batches, batch = [], []
    for _bmc, nodes in itertools.groupby(rows, key=lambda row: row[1:]):
        ids = [row[0] for row in nodes]
        if batch and len(batch) + len(ids) > size:
            batches.append(batch)
            batch = []
        batch.extend(ids)
    if batch:
        batches.append(batch)
    return batches


def power_sync_nodes(*, node_ids: list[int]) -> SyncReport:
    """Ask each node's BMC for its power state and store what it says."""
    nodes = list(
        Node.objects.filter(pk__in=node_ids)
        .exclude(power_operations__state__in=IN_FLIGHT)  # the operation will tell
        .order_by("bmc_address", "bmc_port", "pk")
    )
    report = SyncReport()
    for node in nodes:
        try:
            report.seen[node.pk] = power_driver_for(node).get_power_state(power_target_for(node))
        except BmcError as error:
            report.failed[node.pk] = str(error)
    _store(nodes, report)
    return report


def _store(nodes: list[Node], report: SyncReport) -> None:
    now = timezone.now()
    observed = {**report.seen, **dict.fromkeys(report.failed, PowerState.UNKNOWN)}
    with transaction.atomic():
        for state in (PowerState.ON, PowerState.OFF, PowerState.UNKNOWN):
            ids = [pk for pk, seen in observed.items() if seen == state]
            Node.objects.filter(pk__in=ids).update(power_state=state, power_state_at=now)
        for node in nodes:
            if observed[node.pk] != node.power_state:
                _record_change(node, observed[node.pk], report.failed.get(node.pk))
        nodes_mark_bmc_answered(node_ids=report.seen)


def _record_change(node: Node, state: str, error: str | None) -> None:
    if error:
        message = f"Power state unknown: {error}"
    else:
        message = f"Power state seen by the sync: {node.power_state} → {state}"
    event_record(
        node=node,
        kind=EventKind.POWER,
        message=message,
        actor="system",
        data={"sync": True, "from": node.power_state, "to": state},
    )
