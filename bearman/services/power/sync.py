"""The periodic power-state refresh of every node with a BMC.

Work is cut into batches (tasks) that spread over the worker's processes. Within a
batch, up to `parallel` BMCs are asked at once, each in a thread of its own: most of a
status call is waiting for the BMC, and a silent BMC costs its timeout once instead of
once per node after it. Per worker that makes at most concurrency × parallel BMCs at a
time. All nodes behind one BMC land in the same batch and are asked one after the
other: that is the bound per BMC. A BMC that does not answer makes its nodes `unknown`
with an Event; it never fails the sync. Each command goes through the BMC's pacing
(`pacing`): a BMC busy with another command, or whose breaker is open, is skipped until
the next sync, so one dead BMC costs the others nothing once its breaker opens.
"""

import heapq
import itertools
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bearman.errors import BearmanError
from bearman.models import IN_FLIGHT, EventKind, Node, PowerState
from bearman.power import BmcError, BmcTarget, PowerDriver
from bearman.states import NodeStatus

from ..events import event_record
from .bmc_check import nodes_mark_bmc_answered
from .drivers import power_driver_for, power_target_for
from .pacing import (
    SLEEP_MAX,
    Bmc,
    BmcBusy,
    Verdict,
    bmc_for,
    bmc_free,
    bmcs_free_answered,
    bmcs_register,
    bmcs_take,
)

# Answered BMCs' slots wait at most this long to be freed together (a thread stuck on a
# silent BMC must not hold the others' slots for its timeout).
FREE_EVERY = 0.2


@dataclass
class SyncReport:
    """What one batch found."""

    seen: dict[int, str] = field(default_factory=dict)  # node id → on/off
    failed: dict[int, str] = field(default_factory=dict)  # node id → error in words
    skipped: dict[int, str] = field(default_factory=dict)  # node id → why its BMC was not asked


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
    for pk, kind, answer in _ask_every_bmc(nodes, parallel):
        getattr(report, kind)[pk] = answer
    _store(nodes, report)
    return report


@dataclass
class BmcVisit:
    """The nodes behind one BMC, asked in one go (one thread, one hold of its slot)."""

    bmc: Bmc | None  # None: not paced (the fake driver)
    asks: list[tuple[int, PowerDriver, BmcTarget]]  # node id, driver, target

    def skipped(self, why: str):
        return [(pk, "skipped", why) for pk, _, _ in self.asks]


def _ask_every_bmc(nodes: list[Node], parallel: int):
    """(node id, seen/failed/skipped, state or why) for every node: `parallel` BMCs at once,
    each one's nodes in turn."""
    threaded, here = [], []
    for _bmc, behind_one in itertools.groupby(nodes, key=lambda n: (n.bmc_address, n.bmc_port)):
        behind_one = list(behind_one)
        asks = [(n.pk, power_driver_for(n), power_target_for(n)) for n in behind_one]
        visit = BmcVisit(bmc_for(behind_one[0]), asks)
        (threaded if all(driver.threads_ok for _, driver, _ in asks) else here).append(visit)
    yield from _ask_paced(threaded, parallel)
    for visit in here:  # the fake driver keeps its machines in the database: this thread
        yield from _ask_in_turn(visit)[0]


def _ask_paced(visits: list[BmcVisit], parallel: int):
    """Each BMC's visit in a pool thread once its slot is taken, `parallel` at a time.

    Slots are taken and freed here, in the caller's thread and database connection (the
    threads touch no database), many in one statement: up to `parallel` visits ahead of
    the running ones are taken at once (they wait in the pool's queue a few calls long),
    and answered ones are freed together. A BMC paced for a moment more is visited once
    its interval has passed; one busy for longer, or whose breaker is open, is skipped.
    """
    ids = bmcs_register(bmcs=[visit.bmc for visit in visits if visit.bmc])
    ready, later, running, answered = deque(visits), [], {}, []
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="power-sync") as pool:
        while ready or later or running:
            while later and later[0][0] <= time.monotonic():
                ready.append(heapq.heappop(later)[2])
            if ready and len(running) <= parallel:
                chunk = [
                    ready.popleft() for _ in range(min(2 * parallel - len(running), len(ready)))
                ]
                for visit, why in _take(chunk, ids):
                    if why is None:
                        running[pool.submit(_ask_in_turn, visit)] = visit
                    elif (
                        isinstance(why, BmcBusy) and why.wait is not None and why.wait <= SLEEP_MAX
                    ):
                        heapq.heappush(later, (time.monotonic() + why.wait, id(visit), visit))
                    else:  # the next sync looks again
                        yield from visit.skipped(str(why))
            timeout = (
                min(max(later[0][0] - time.monotonic(), 0), FREE_EVERY) if later else FREE_EVERY
            )
            done, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
            for future in done:
                answers, verdict = future.result()
                visit = running.pop(future)
                if visit.bmc and verdict.answered:
                    answered.append(ids[visit.bmc])
                elif visit.bmc:
                    bmc_free(visit.bmc, verdict)
                yield from answers
            if len(answered) >= parallel or not done or not ready:
                bmcs_free_answered(ids=answered)
                answered = []
    bmcs_free_answered(ids=answered)


def _take(chunk: list[BmcVisit], ids: dict) -> list[tuple[BmcVisit, BearmanError | None]]:
    """(visit, None when its BMC's slot is taken, else why not) for each visit."""
    paced = {visit.bmc: ids[visit.bmc] for visit in chunk if visit.bmc}
    why = bmcs_take(ids=paced) if paced else {}
    return [(visit, why.get(visit.bmc)) for visit in chunk]


def _ask_in_turn(visit: BmcVisit) -> tuple[list[tuple[int, str, str]], Verdict]:
    """The nodes behind one BMC, one after the other, the minimum interval apart (the
    slot is held meanwhile): (node id, kind, answer) each, and what they told of the BMC."""
    answers, verdict = [], Verdict()
    for index, (pk, driver, target) in enumerate(visit.asks):
        if index and visit.bmc:
            time.sleep(settings.BEARMAN_BMC_MIN_COMMAND_INTERVAL_SECONDS)
        try:
            answers.append((pk, "seen", driver.get_power_state(target)))
            verdict.answered = True
        except BmcError as error:
            verdict.failed(error)
            answers.append((pk, "failed", str(error)))
    return answers, verdict


def _store(nodes: list[Node], report: SyncReport) -> None:
    now = timezone.now()
    observed = {**report.seen, **dict.fromkeys(report.failed, PowerState.UNKNOWN)}
    with transaction.atomic():
        for state in (PowerState.ON, PowerState.OFF, PowerState.UNKNOWN):
            ids = [pk for pk, seen in observed.items() if seen == state]
            Node.objects.filter(pk__in=ids).update(power_state=state, power_state_at=now)
        for node in nodes:
            if node.pk in observed and observed[node.pk] != node.power_state:
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
