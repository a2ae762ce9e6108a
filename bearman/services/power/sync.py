"""The periodic power-state refresh of every node with a BMC.

Work is cut into batches (tasks) that spread over the worker's processes. Within a
batch, up to `parallel` BMCs are asked at once, each in a thread of its own: most of a
status call is waiting for the BMC, and a silent BMC costs its timeout once instead of
once per node after it. Per worker that makes at most concurrency × parallel BMCs at a
time. All nodes behind one BMC land in the same batch and are asked one after the
other: that is the bound per BMC. A BMC that does not answer makes its nodes `unknown`
with an Event; it never fails the sync.
"""

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from bearman.models import IN_FLIGHT, EventKind, Node, PowerState
from bearman.power import BmcError
from bearman.states import NodeStatus

from ..events import event_record
from .bmc_check import nodes_mark_bmc_answered
from .drivers import power_driver_for, power_target_for


@dataclass
class SyncReport:
    """What one batch found."""

    seen: dict[int, str] = field(default_factory=dict)  # node id → on/off
    failed: dict[int, str] = field(default_factory=dict)  # node id → error in words


def power_sync_batches(*, size: int) -> list[list[int]]:
    """Ids of the nodes to refresh, in batches that never split one BMC's nodes."""
    return [ids for _zone, ids in power_sync_zone_batches(size=size)]


def power_sync_zone_batches(*, size: int) -> list[tuple[str, list[int]]]:
    """(availability zone, node ids) batches: one zone each (only its workers reach its
    BMCs), never splitting one BMC's nodes."""
    rows = (
        Node.objects.exclude(bmc_address=None)
        .exclude(status=NodeStatus.RETIRED)
        .order_by("availability_zone", "bmc_address", "bmc_port", "pk")
        .values_list("pk", "availability_zone", "bmc_address", "bmc_port")
    )
    batches = []
    for zone, in_zone in itertools.groupby(rows, key=lambda row: row[1]):
        batch = []
        for _bmc, nodes in itertools.groupby(in_zone, key=lambda row: row[2:]):
            ids = [row[0] for row in nodes]
            if batch and len(batch) + len(ids) > size:
                batches.append((zone, batch))
                batch = []
            batch.extend(ids)
        if batch:
            batches.append((zone, batch))
    return batches


def power_sync_nodes(*, node_ids: list[int], parallel: int = 1) -> SyncReport:
    """Ask each node's BMC for its power state, `parallel` BMCs at a time; store the answers."""
    nodes = list(
        Node.objects.filter(pk__in=node_ids)
        .exclude(power_operations__state__in=IN_FLIGHT)  # the operation will tell
        .order_by("bmc_address", "bmc_port", "pk")
    )
    report = SyncReport()
    for pk, state, error in _ask_every_bmc(nodes, parallel):
        if error is None:
            report.seen[pk] = state
        else:
            report.failed[pk] = error
    _store(nodes, report)
    return report


def _ask_every_bmc(nodes: list[Node], parallel: int):
    """(node id, state, error) for every node: `parallel` BMCs at once, each one's nodes in turn."""
    threaded, here = [], []
    for _bmc, behind_one in itertools.groupby(nodes, key=lambda n: (n.bmc_address, n.bmc_port)):
        visit = [(node.pk, power_driver_for(node), power_target_for(node)) for node in behind_one]
        (threaded if all(driver.threads_ok for _, driver, _ in visit) else here).append(visit)
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="power-sync") as pool:
        for answers in itertools.chain(pool.map(_ask_in_turn, threaded), map(_ask_in_turn, here)):
            yield from answers


def _ask_in_turn(visit: list[tuple]) -> list[tuple[int, str | None, str | None]]:
    """The nodes behind one BMC, one after the other: (node id, state, error in words)."""
    answers = []
    for pk, driver, target in visit:
        try:
            answers.append((pk, driver.get_power_state(target), None))
        except BmcError as error:
            answers.append((pk, None, str(error)))
    return answers


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
