"""Celery tasks: thin, they take ids, call one service, and own their retry policy."""

import dataclasses
import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from bearman.services.power.bulk import power_bulk_advance as power_bulk_advance_service
from bearman.services.power.reconcile import power_operations_resend
from bearman.services.power.request import power_operations_enqueue
from bearman.services.power.run import (
    DATABASE_UNAVAILABLE,
    HARD_LIMIT_MARGIN,
    PowerOperationPaced,
    PowerOperationRequeued,
    PowerOutcome,
    PowerOutcomeUnrecorded,
    power_operation_fail,
    power_operation_run,
    power_operations_reap,
    power_outcome_record,
)
from bearman.services.power.sync import power_sync_nodes, power_sync_zone_batches
from bearman.services.queueing import Lane, TaskName, task_queue

log = logging.getLogger(__name__)
OPERATION_SECONDS = settings.BEARMAN_POWER_OPERATION_SECONDS


# While the database is unavailable a message is tried again after 1, 2, 4, 8, then every
# 10 s, about 3 min in all (far below the broker's visibility timeout); then it is dropped
# and the operation, still PENDING in the database, is sent again by the reconciler
# (power_reconcile) once the database is back.
DATABASE_RETRIES = 20
DATABASE_RETRY_MAX_SECONDS = 10


@shared_task(
    bind=True,
    name=TaskName.POWER_OPERATION,
    acks_late=True,
    soft_time_limit=OPERATION_SECONDS,
    time_limit=OPERATION_SECONDS + HARD_LIMIT_MARGIN,
    max_retries=None,  # bounded below: by the operation's attempts, or DATABASE_RETRIES
)
def power_operation(self, operation_id: int, outcome: dict | None = None) -> None:
    """Run one PowerOperation (or record the `outcome` of one the database missed); try
    again later after a transient BMC error or while the database is unavailable."""
    try:
        if outcome is None:
            attempts = settings.BEARMAN_POWER_RETRIES + 1
            power_operation_run(operation_id=operation_id, attempts=attempts)
        else:
            power_outcome_record(operation_id=operation_id, outcome=PowerOutcome(**outcome))
    except PowerOperationPaced as paced:  # still PENDING: its BMC is busy a while longer
        raise self.retry(args=(operation_id,), kwargs={}, countdown=paced.seconds) from None
    except PowerOperationRequeued as requeued:  # PENDING again in the database
        countdown = settings.BEARMAN_POWER_RETRY_SECONDS * requeued.attempt
        raise self.retry(args=(operation_id,), kwargs={}, countdown=countdown) from None
    except PowerOutcomeUnrecorded as unrecorded:
        _database_retry(self, operation_id, unrecorded.__cause__, unrecorded.outcome)
    except DATABASE_UNAVAILABLE as error:
        _database_retry(self, operation_id, error, outcome and PowerOutcome(**outcome))
    except SoftTimeLimitExceeded:
        power_operation_fail(
            operation_id=operation_id,
            error=f"the BMC took longer than {OPERATION_SECONDS} s; the operation was stopped",
        )


def _database_retry(task, operation_id: int, error, outcome: PowerOutcome | None) -> None:
    retries = task.request.retries
    if retries >= DATABASE_RETRIES:
        log.error(
            "power operation #%s: the database is still unavailable after %d tries (%s); %s",
            operation_id,
            retries + 1,
            str(error).strip(),
            "its outcome is lost, the reaper fails it"
            if outcome
            else "the reconciler sends it again once the database is back",
        )
        return
    countdown = min(2**retries, DATABASE_RETRY_MAX_SECONDS)
    log.warning(
        "power operation #%s: the database is unavailable (%s); trying again in %d s",
        operation_id,
        str(error).strip(),
        countdown,
    )
    kwargs = {"outcome": dataclasses.asdict(outcome)} if outcome else {}
    raise task.retry(args=(operation_id,), kwargs=kwargs, countdown=countdown, exc=error) from None


@shared_task(name=TaskName.POWER_OPERATIONS_QUEUE, acks_late=True)
def power_operations_queue(
    operation_ids: list[int], lane: str = Lane.OPERATOR, zone: str | None = None
) -> None:
    """Queue each of many operations of one zone as its own task (one message from the
    requester)."""
    power_operations_enqueue(operation_ids=operation_ids, lane=Lane(lane), zone=zone)


@shared_task(name=TaskName.POWER_REAP, acks_late=True)
def power_reap() -> None:
    """Fail operations stuck RUNNING past their deadline or PENDING for too long."""
    reaped = _periodic("power reaper", power_operations_reap)
    if reaped:
        log.warning("failed %d power operations that no worker took or finished in time", reaped)


@shared_task(name=TaskName.POWER_RECONCILE, acks_late=True)
def power_reconcile() -> None:
    """Send again the PENDING operations whose message no worker took (lost)."""
    resent = _periodic("power reconciler", power_operations_resend)
    if resent:
        log.warning("sent %d power operations again: no worker had taken them", resent)


def _periodic(what: str, service) -> int:
    """`service()` for a beat task; the database away is one line (beat asks again), not a
    traceback."""
    try:
        return service()
    except DATABASE_UNAVAILABLE as error:
        log.warning("%s: the database is unavailable (%s)", what, str(error).strip())
        return 0


@shared_task(name=TaskName.POWER_SYNC, acks_late=True)
def power_sync() -> None:
    """Fan the power-state refresh out in batches, one task each, to their zone's workers."""
    for zone, batch in power_sync_zone_batches(size=settings.BEARMAN_POWER_SYNC_BATCH):
        task_queue(
            TaskName.POWER_SYNC_BATCH,
            batch,
            lane=Lane.BACKGROUND,
            zone=zone,
            what=f"power sync of {len(batch)} nodes",
            meanwhile="the next sync asks their BMCs",
        )


@shared_task(
    name=TaskName.POWER_SYNC_BATCH,
    acks_late=True,
    soft_time_limit=OPERATION_SECONDS * 5,
    time_limit=OPERATION_SECONDS * 5 + 10,
)
def power_sync_batch(node_ids: list[int]) -> None:
    """Refresh the power state of a batch of nodes."""
    report = power_sync_nodes(node_ids=node_ids, parallel=settings.BEARMAN_POWER_SYNC_PARALLEL)
    log.info(
        "power sync: %d seen, %d unreachable, %d skipped (BMC busy or backed off)",
        len(report.seen),
        len(report.failed),
        len(report.skipped),
    )


@shared_task(name=TaskName.POWER_BULK_ADVANCE, acks_late=True)
def power_bulk_advance(bulk_id: int) -> None:
    """Queue a bulk request's next batch once its last one has finished (it calls again)."""
    power_bulk_advance_service(bulk_id=bulk_id)
