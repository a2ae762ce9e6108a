"""Celery tasks: thin, they take ids, call one service, and own their retry policy."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from bearman.power import BmcError
from bearman.services.power.bulk import power_bulk_advance as power_bulk_advance_service
from bearman.services.power.request import power_operations_enqueue
from bearman.services.power.run import (
    HARD_LIMIT_MARGIN,
    power_operation_fail,
    power_operation_run,
    power_operations_reap,
)
from bearman.services.power.sync import power_sync_batches, power_sync_nodes
from bearman.services.queueing import Lane, TaskName, task_queue

log = logging.getLogger(__name__)
OPERATION_SECONDS = settings.BEARMAN_POWER_OPERATION_SECONDS


@shared_task(
    bind=True,
    name=TaskName.POWER_OPERATION,
    acks_late=True,
    soft_time_limit=OPERATION_SECONDS,
    time_limit=OPERATION_SECONDS + HARD_LIMIT_MARGIN,
    max_retries=settings.BEARMAN_POWER_RETRIES,
)
def power_operation(self, operation_id: int) -> None:
    """Run one PowerOperation; retry it later after a transient BMC error."""
    try:
        power_operation_run(
            operation_id=operation_id, last_attempt=self.request.retries >= self.max_retries
        )
    except BmcError as error:  # transient: the service left the operation PENDING
        countdown = settings.BEARMAN_POWER_RETRY_SECONDS * (self.request.retries + 1)
        raise self.retry(exc=error, countdown=countdown) from None
    except SoftTimeLimitExceeded:
        power_operation_fail(
            operation_id=operation_id,
            error=f"the BMC took longer than {OPERATION_SECONDS} s; the operation was stopped",
        )


@shared_task(name=TaskName.POWER_OPERATIONS_QUEUE, acks_late=True)
def power_operations_queue(operation_ids: list[int], lane: str = Lane.OPERATOR) -> None:
    """Queue each of many operations as its own task (one message from the requester)."""
    power_operations_enqueue(operation_ids=operation_ids, lane=Lane(lane))


@shared_task(name=TaskName.POWER_REAP, acks_late=True)
def power_reap() -> None:
    """Fail operations stuck RUNNING past their deadline or PENDING for too long."""
    reaped = power_operations_reap()
    if reaped:
        log.warning("failed %d power operations whose worker vanished", reaped)


@shared_task(name=TaskName.POWER_SYNC, acks_late=True)
def power_sync() -> None:
    """Fan the power-state refresh out in batches, one task each."""
    for batch in power_sync_batches(size=settings.BEARMAN_POWER_SYNC_BATCH):
        task_queue(
            TaskName.POWER_SYNC_BATCH,
            batch,
            lane=Lane.BACKGROUND,
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
    log.info("power sync: %d seen, %d unreachable", len(report.seen), len(report.failed))


@shared_task(name=TaskName.POWER_BULK_ADVANCE, acks_late=True)
def power_bulk_advance(bulk_id: int) -> None:
    """Queue a bulk request's next batch once its last one has finished (it calls again)."""
    power_bulk_advance_service(bulk_id=bulk_id)
