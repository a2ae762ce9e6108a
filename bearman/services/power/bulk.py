"""Power over many nodes with the guard rails: batches, and a stop once too many fail.

The first batch is queued in the request. The next is queued once the last one has
finished, unless the share of failures so far has passed the limit: the operation that
finishes a batch asks for it at once (`power_bulk_nudge`), and a task also looks every
few seconds, in case that request was lost. The admin's bulk actions and the REST API
both come here.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bearman.errors import PowerNotConfigured, PowerOperationInFlight
from bearman.models import (
    IN_FLIGHT,
    BulkState,
    Node,
    OperationState,
    PowerAction,
    PowerBulk,
    PowerOperation,
)

from ..queueing import TaskName, task_queue
from .request import power_action_request


@dataclass(frozen=True)
class BulkTally:
    """Where a bulk request stands."""

    total: int
    not_queued: int
    in_flight: int
    succeeded: int
    failed: int  # including requests refused at once

    @property
    def failure_percent(self) -> float:
        finished = self.succeeded + self.failed
        return 100 * self.failed / finished if finished else 0.0


def power_bulk_request(
    *,
    nodes: Sequence[Node],
    action: PowerAction | str,
    actor: str,
    batch_size: int | None = None,
    max_failure_percent: int | None = None,
) -> PowerBulk:
    """Record a power action over `nodes` and queue its first batch; the rest follow."""
    if max_failure_percent is None:
        max_failure_percent = settings.BEARMAN_POWER_BULK_MAX_FAILURE_PERCENT
    with transaction.atomic():
        bulk = PowerBulk.objects.create(
            action=PowerAction(action),
            requested_by=actor,
            node_ids=[node.pk for node in nodes],
            batch_size=batch_size or settings.BEARMAN_POWER_BULK_BATCH_SIZE,
            max_failure_percent=max_failure_percent,
        )
        return power_bulk_advance(bulk_id=bulk.pk)


def power_bulk_advance(*, bulk_id: int) -> PowerBulk | None:
    """Queue the next batch once the last has finished; stop, or complete, when due.

    None when the request no longer exists.
    """
    with transaction.atomic():
        bulk = PowerBulk.objects.select_for_update().filter(pk=bulk_id).first()
        if bulk is None:
            return None
        if bulk.state == BulkState.RUNNING:
            _advance(bulk)
    if bulk.state == BulkState.RUNNING:
        poll = settings.BEARMAN_POWER_BULK_POLL_SECONDS
        transaction.on_commit(lambda: _advance_soon(bulk.pk, countdown=poll))
    return bulk


def power_bulk_nudge(*, bulk_id: int) -> None:
    """Advance the bulk request once one of its operations has finished its batch."""
    if not PowerOperation.objects.filter(bulk_request_id=bulk_id, state__in=IN_FLIGHT).exists():
        # Each operation looks after its own commit, so the last of a batch to commit
        # always sees the batch finished; a second advance (or a finished request) is a no-op.
        _advance_soon(bulk_id, countdown=None)


def power_bulk_tally(*, bulk: PowerBulk) -> BulkTally:
    """Counts of the bulk's operations by outcome (a read, for progress)."""
    states = Counter(power_bulk_operations(bulk=bulk).values_list("state", flat=True))
    return BulkTally(
        total=len(bulk.node_ids),
        not_queued=len(bulk.node_ids) - bulk.queued_count,
        in_flight=states[OperationState.PENDING] + states[OperationState.RUNNING],
        succeeded=states[OperationState.SUCCEEDED],
        failed=states[OperationState.FAILED] + len(bulk.refused),
    )


def power_bulk_operations(*, bulk: PowerBulk):
    """The operations a bulk request has queued so far."""
    return PowerOperation.objects.filter(pk__in=bulk.operation_ids)


def _advance(bulk: PowerBulk) -> None:
    tally = power_bulk_tally(bulk=bulk)
    if tally.in_flight:
        return
    if tally.failure_percent > bulk.max_failure_percent:
        _end(bulk, BulkState.STOPPED, _stop_reason(bulk, tally))
    elif tally.not_queued == 0:
        _end(bulk, BulkState.COMPLETED)
    else:
        _queue_next_batch(bulk)


def _queue_next_batch(bulk: PowerBulk) -> None:
    batch = bulk.node_ids[bulk.queued_count : bulk.queued_count + bulk.batch_size]
    nodes = Node.objects.in_bulk(batch)
    for node_id in batch:
        node = nodes.get(node_id)
        if node is None:
            continue  # removed since the request: nothing to power
        try:
            operation = power_action_request(
                node=node, action=bulk.action, actor=bulk.requested_by, bulk=bulk
            )
        except (PowerOperationInFlight, PowerNotConfigured) as error:
            bulk.refused.append({"node": node.uuid, "error": str(error)})
        else:
            bulk.operation_ids.append(operation.pk)
    bulk.queued_count += len(batch)
    bulk.save(update_fields=["queued_count", "operation_ids", "refused"])


def _end(bulk: PowerBulk, state: BulkState, reason: str = "") -> None:
    bulk.state, bulk.stopped_reason, bulk.finished_at = state, reason, timezone.now()
    bulk.save(update_fields=["state", "stopped_reason", "finished_at"])


def _stop_reason(bulk: PowerBulk, tally: BulkTally) -> str:
    finished = tally.succeeded + tally.failed
    return (
        f"{tally.failed} of {finished} failed ({tally.failure_percent:.0f}%), more than the "
        f"{bulk.max_failure_percent}% allowed: the other {tally.not_queued} nodes were not touched."
    )


def _advance_soon(bulk_id: int, *, countdown: int | None) -> None:
    task_queue(
        TaskName.POWER_BULK_ADVANCE,
        bulk_id,
        countdown=countdown,
        what=f"the next look at bulk power request #{bulk_id}",
        meanwhile="it moves on when another of its operations finishes or its next look runs",
    )
