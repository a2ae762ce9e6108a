"""The one seam between the services and the worker: work is queued by task name.

The tasks import the services they run, so the services name the tasks instead of
importing them (Celery's send_task). Work goes to one of two lanes: an operator's action
never waits behind a registration burst's BMC checks or a sync of every BMC.

Work that talks to a BMC goes to a queue of the BMC's availability zone (the node's
`availability_zone`): BMC networks are private to a site, and only a worker of that
site can reach them. Every other piece of work goes to the zone-less lanes.

    task_queue(name, *args, lane=Lane.OPERATOR, zone=None, countdown=None, what=..., meanwhile=...)
        zone=None: the zone-less queue of `lane` ("celery" or "background");
        zone="b":  the queue of `lane` in zone b, zone_queue_name("b", lane).
    zone_queue_name(zone: str, lane: Lane) -> str   e.g. "zone.b.operator", "zone.b.background"
    zone_of_queue(name: str) -> tuple[str, Lane] | None   the inverse; None for a zone-less one

A worker consumes the zones of BEARMAN_WORKER_ZONES (bearman.celery).
"""

import logging
from enum import StrEnum
from urllib.parse import quote, unquote

from kombu.exceptions import OperationalError

from bearman.celery import app

log = logging.getLogger(__name__)


class Lane(StrEnum):
    """Zone-less queues, by whose work they carry (CELERY_TASK_QUEUES declares them)."""

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


DEFAULT_ZONE = "default"  # Node.availability_zone's default
ZONE_QUEUE_PREFIX = "zone."
# A zone queue's last word, by lane.
LANE_WORDS = {Lane.OPERATOR: "operator", Lane.BACKGROUND: "background"}


def zone_queue_name(zone: str, lane: Lane) -> str:
    """The queue of `lane` in availability zone `zone`, e.g. "zone.b.operator".

    The zone is percent-encoded (letters, digits and -._~ stay as they are): the name is
    valid on Redis and RabbitMQ whatever an operator called the zone.
    """
    return f"{ZONE_QUEUE_PREFIX}{quote(zone or DEFAULT_ZONE, safe='')}.{LANE_WORDS[Lane(lane)]}"


def zone_of_queue(name: str) -> tuple[str, Lane] | None:
    """(zone, lane) of a zone queue's name; None for any other queue."""
    if not name.startswith(ZONE_QUEUE_PREFIX) or "." not in name[len(ZONE_QUEUE_PREFIX) :]:
        return None
    encoded, word = name[len(ZONE_QUEUE_PREFIX) :].rsplit(".", 1)
    lanes = {w: lane for lane, w in LANE_WORDS.items()}
    if word not in lanes or not encoded:
        return None
    return unquote(encoded), lanes[word]


def task_queue(
    name: TaskName,
    *args,
    lane: Lane = Lane.OPERATOR,
    zone: str | None = None,
    countdown: float | None = None,
    what: str,
    meanwhile: str,
) -> bool:
    """Queue task `name` with `args`; with the broker down, log it and return False.

    With `zone` (work that talks to a BMC), to that zone's queue of `lane`; without, to
    the zone-less `lane`. Callers run this after their commit: the request they serve has
    succeeded, and an error now would tell the client otherwise. `meanwhile` says what
    picks the work up.
    """
    queue = lane.value if zone is None else zone_queue_name(zone, lane)
    try:
        app.send_task(name, args, queue=queue, countdown=countdown)
    except OperationalError as error:
        log.error("%s not queued, the broker did not take it (%s); %s", what, error, meanwhile)
        return False
    return True
