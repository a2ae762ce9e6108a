"""Which queues a worker consumes: the zones of BEARMAN_WORKER_ZONES, and the zone-less lanes.

Celery's own selection (what `celery worker -Q` does), made when the worker has set up
and before it consumes anything: a worker of zone b never takes a message of zone a,
not even once. With BEARMAN_WORKER_ZONES=* (the default) it serves every zone of
Bearman's nodes, and a zone that appears later within ZONES_REFRESH_SECONDS, through
Celery's add_task_queue (what `celery control add_consumer` does).
"""

import logging

from celery import bootsteps, signals
from django.conf import settings
from django.db import DatabaseError, connections

from bearman.celery import app
from bearman.services.queueing import DEFAULT_ZONE, LANE_WORDS, Lane, zone_of_queue
from bearman.services.zones import zone_queues, zones_known

log = logging.getLogger(__name__)

EVERY_ZONE = "*"
ZONES_REFRESH_SECONDS = (
    2.0  # a look in the database: cheap, and a new zone's first operation waits no longer
)


def served_queues(zones: list[str]) -> list[str]:
    """The zones' queues of the lanes this worker serves (BEARMAN_WORKER_LANES): both, or
    only the operators' for a worker kept free for them while syncs fill the others."""
    lanes = settings.BEARMAN_WORKER_LANES
    return [name for name in zone_queues(zones) if LANE_WORDS[zone_of_queue(name)[1]] in lanes]


def worker_zones() -> list[str]:
    """The zones this worker serves now (every known one for *)."""
    if settings.BEARMAN_WORKER_ZONES == [EVERY_ZONE]:
        return zones_known()
    return list(settings.BEARMAN_WORKER_ZONES)


@signals.celeryd_after_setup.connect
def select_zone_queues(sender=None, instance=None, **kwargs) -> None:
    """Add the zones' queues to what the worker consumes; drop the zone-less lanes for a
    site's worker (BEARMAN_WORKER_SHARED_QUEUES=false), and the lanes it does not serve."""
    queues = instance.app.amqp.queues
    try:
        zones = worker_zones()
    except DatabaseError as error:  # NewZones adds the others once the database answers
        log.warning("could not look up the availability zones: %s", error)
        zones = [DEFAULT_ZONE]
    finally:
        connections.close_all()  # the pool's processes are forked from this one
    for name in served_queues(zones):
        queues.select_add(name)
    shared, lanes = settings.BEARMAN_WORKER_SHARED_QUEUES, settings.BEARMAN_WORKER_LANES
    queues.deselect([lane.value for lane in Lane if not shared or LANE_WORDS[lane] not in lanes])
    log.info("serving availability zones: %s", ", ".join(zones))


class NewZones(bootsteps.StartStopStep):
    """A worker of every zone also consumes a zone that appears while it runs."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.timer = None

    def start(self, consumer) -> None:
        if settings.BEARMAN_WORKER_ZONES == [EVERY_ZONE]:
            self.timer = consumer.timer.call_repeatedly(
                ZONES_REFRESH_SECONDS, self.refresh, (consumer,), priority=10
            )

    def stop(self, consumer) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def refresh(self, consumer) -> None:
        try:
            zones = zones_known()
        except DatabaseError as error:  # the next look tries again
            log.warning("could not look for new availability zones: %s", error)
            return
        finally:
            connections.close_all()
        for name in served_queues(zones):
            if not consumer.task_consumer.consuming_from(name):
                consumer.add_task_queue(name)


app.steps["consumer"].add(NewZones)
