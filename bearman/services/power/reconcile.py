"""Operations no worker holds: sent again while they may still run, and why they never ran.

The PowerOperation row is the truth, a message only a means. A message can be lost after
its operation was committed: the broker restarted without its queue, the send failed
after the commit (`queueing.task_queue` logs it), or a worker took it while the database
was away and ran out of retries. `power_operations_resend` sends such an operation again;
that is harmless, because a worker claims an operation with a conditional UPDATE
(PENDING → RUNNING) and a second message finds it claimed and does nothing.

While an operation waits, its `deadline_at` says when it is sent again if no worker has
claimed it by then: BEARMAN_POWER_RESEND_SECONDS after it was queued, then each time it
has waited twice as long (a backlog of slow BMCs is not flooded with copies), until the
reaper fails it at BEARMAN_POWER_QUEUE_SECONDS with `power_unclaimed_cause`.
"""

import datetime
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from bearman.celery import app
from bearman.models import OperationState, PowerOperation

from ..queueing import Lane, zone_queue_name
from .bmc_check import SYSTEM
from .request import power_operation_enqueue

log = logging.getLogger(__name__)

# The longest wait between two sends, in BEARMAN_POWER_RESEND_SECONDS.
RESEND_WAIT_MAX = 8
# How long the reaper asks the workers which queues they serve.
INSPECT_SECONDS = 1.0


def power_lane_of(requested_by: str) -> Lane:
    """The lane an operation's messages go to: Bearman's own checks are background work."""
    return Lane.BACKGROUND if requested_by == SYSTEM else Lane.OPERATOR


def power_operations_resend(*, now: datetime.datetime | None = None) -> int:
    """Send again each PENDING operation no worker claimed in its wait; returns how many.

    Operations past BEARMAN_POWER_QUEUE_SECONDS are left to the reaper: too late to run.
    """
    now = now or timezone.now()
    sent = 0
    due = _due(now).values_list("pk", "requested_by", "queued_at", "node__availability_zone")
    for pk, requested_by, queued_at, zone in due:
        lane = power_lane_of(requested_by)
        if not power_operation_enqueue(operation_id=pk, lane=lane, zone=zone):
            break  # the broker is away (logged): the next run tries again
        PowerOperation.objects.filter(pk=pk, state=OperationState.PENDING).update(
            deadline_at=now + _next_wait(now - queued_at)
        )
        sent += 1
    return sent


def _due(now: datetime.datetime):
    first_wait = datetime.timedelta(seconds=settings.BEARMAN_POWER_RESEND_SECONDS)
    stale = now - datetime.timedelta(seconds=settings.BEARMAN_POWER_QUEUE_SECONDS)
    never_sent_again = Q(deadline_at__isnull=True, queued_at__lte=now - first_wait)
    return PowerOperation.objects.filter(
        never_sent_again | Q(deadline_at__lte=now),
        state=OperationState.PENDING,
        queued_at__gte=stale,
    ).order_by("queued_at")


def _next_wait(waited: datetime.timedelta) -> datetime.timedelta:
    """As long again as it has waited so far, within the first wait and RESEND_WAIT_MAX."""
    first = settings.BEARMAN_POWER_RESEND_SECONDS
    seconds = min(max(waited.total_seconds(), first), first * RESEND_WAIT_MAX)
    return datetime.timedelta(seconds=seconds)


def power_unclaimed_cause(
    operation: PowerOperation, *, now: datetime.datetime, workers: dict | None
) -> str:
    """Why a PENDING operation was never taken, as far as can be known (for the reaper).

    `workers` is `power_workers_queues()`: who answered, serving which queues.
    """
    minutes = settings.BEARMAN_POWER_QUEUE_SECONDS / 60
    lane = power_lane_of(operation.requested_by)
    return (
        f"no worker took it within {minutes:g} min{_resent(operation, now)}; "
        f"{_workers(workers, operation.node.availability_zone, lane)}"
    )


def _resent(operation: PowerOperation, now: datetime.datetime) -> str:
    first_wait = datetime.timedelta(seconds=settings.BEARMAN_POWER_RESEND_SECONDS)
    due = operation.deadline_at or operation.queued_at + first_wait
    # The re-sender and the reaper each run on their own beat: this long after it was due,
    # the re-sender did not run meanwhile.
    late = datetime.timedelta(
        seconds=settings.BEARMAN_POWER_RECONCILE_SECONDS + settings.BEARMAN_POWER_REAP_SECONDS + 30
    )
    if due < now - late:
        return (
            f"; it was due to be sent again at {due:%H:%M:%S} UTC and nothing could send it "
            "(Bearman's database or celery beat was unavailable)"
        )
    if operation.deadline_at is None:
        return ""
    return ", though it was sent again each time its message went unclaimed"


def _workers(workers: dict | None, zone: str, lane: Lane) -> str:
    if not workers:
        return "no Celery worker answered: is one running?"
    queue = zone_queue_name(zone, lane)
    serving = [name for name, queues in workers.items() if queue in queues]
    if not serving:
        answered = ", ".join(sorted(workers))
        return (
            f"the workers that answered ({answered}) do not serve its queue '{queue}' "
            f"(no worker of zone {zone} is running)"
        )
    return (
        f"{len(serving)} worker(s) serving its queue '{queue}' answered: they were busy with "
        "other work or could not reach the database (their log says which)"
    )


def power_workers_queues() -> dict[str, set[str]]:
    """The Celery workers that answer within INSPECT_SECONDS, each with the queues it serves."""
    try:
        answers = app.control.inspect(timeout=INSPECT_SECONDS).active_queues() or {}
    except Exception as error:  # the broker itself is away: nobody can be asked
        log.warning("could not ask the workers which queues they serve: %s", error)
        return {}
    return {name: {queue["name"] for queue in queues} for name, queues in answers.items()}
