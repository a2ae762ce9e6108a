"""The one seam between the services and the worker: work is queued by task name.

The tasks import the services they run, so the services name the tasks instead of
importing them (Celery's send_task). Work goes to one of two lanes, queues that every
worker serves: an operator's action never waits behind a registration burst's BMC
checks or a sync of every BMC.
"""

import logging
from enum import StrEnum

from kombu.exceptions import OperationalError

from bearman.celery import app

log = logging.getLogger(__name__)


class Lane(StrEnum):
    """Queues, by whose work they carry (CELERY_TASK_QUEUES declares them)."""

    OPERATOR = "celery"  # Celery's default queue: what people asked for
    BACKGROUND = "background"  # what Bearman does by itself: BMC checks, syncs


class TaskName(StrEnum):
    """The names the tasks in bearman.tasks register under."""

    POWER_OPERATION = "bearman.tasks.power_operation"
    POWER_OPERATIONS_QUEUE = "bearman.tasks.power_operations_queue"
    POWER_BULK_ADVANCE = "bearman.tasks.power_bulk_advance"
    POWER_REAP = "bearman.tasks.power_reap"
    POWER_RECONCILE = "bearman.tasks.power_reconcile"
    POWER_SYNC = "bearman.tasks.power_sync"
    POWER_SYNC_BATCH = "bearman.tasks.power_sync_batch"
    NOTICES_FLUSH = "bearman.tasks.notices_flush"
    OPERATIONS_DEADLINES = "bearman.tasks.operations_deadlines"


def task_queue(
    name: TaskName,
    *args,
    lane: Lane = Lane.OPERATOR,
    countdown: float | None = None,
    what: str,
    meanwhile: str,
) -> bool:
    """Queue task `name` with `args`; with the broker down, log it and return False.

    Callers run this after their commit: the request they serve has succeeded, and an
    error now would tell the client otherwise. `meanwhile` says what picks the work up.
    """
    try:
        app.send_task(name, args, queue=lane, countdown=countdown)
    except OperationalError as error:
        log.error("%s not queued, the broker did not take it (%s); %s", what, error, meanwhile)
        return False
    return True
