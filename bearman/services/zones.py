"""Availability zones as the workers see them: who serves each, what waits in it.

BMC work is queued per zone (queueing.zone_queue_name), and only a worker started for
that zone takes it (BEARMAN_WORKER_ZONES). An operation of a zone that no live worker
serves would wait silently until the reaper fails it; this module says so at once.

Who serves what comes from Celery's own inspection (active_queues, through the broker,
INSPECT_SECONDS at most) and is kept WORKERS_FRESH_SECONDS, so that the admin, the node
page and /metrics can ask often; queue lengths are the broker's (a passive declare:
LLEN on Redis, the message count on RabbitMQ).
"""

import datetime
import logging
import time
from dataclasses import dataclass, field

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from bearman.celery import app
from bearman.models import Node, OperationState, PowerOperation

from .power.reconcile import power_lane_of, power_workers_queues
from .queueing import DEFAULT_ZONE, LANE_WORDS, Lane, zone_of_queue, zone_queue_name

log = logging.getLogger(__name__)

# How long an answer of the workers is trusted: an operation of a zone whose last worker
# stopped says so within this plus INSPECT_SECONDS (reconcile), well inside 10 s.
WORKERS_FRESH_SECONDS = 4.0
BROKER_TIMEOUT_SECONDS = 2
_workers_seen: tuple[float, dict[str, set[str]]] | None = None


@dataclass
class ZoneState:
    """One availability zone: its workers, its queues and its oldest waiting operation."""

    name: str
    lane_workers: dict[Lane, list[str]] = field(default_factory=dict)  # live, by lane
    queue_lengths: dict[Lane, int | None] = field(default_factory=dict)  # None: unknown
    waiting: int = 0  # PENDING power operations
    oldest_waiting_seconds: float | None = None

    @property
    def workers(self) -> list[str]:
        """The live workers serving any of its lanes."""
        return sorted(set().union(*self.lane_workers.values()))

    @property
    def served(self) -> bool:
        """Both lanes have a live worker."""
        return all(self.lane_workers.get(lane) for lane in Lane)

    @property
    def summary(self) -> str:
        """In words, as the admin shows it."""
        if not self.workers:
            return f"no worker of zone {self.name} is running"
        served = f"served by {', '.join(self.workers)}"
        missing = [LANE_WORDS[lane] for lane in Lane if not self.lane_workers.get(lane)]
        return f"{served}; no worker serves its {missing[0]} lane" if missing else served


def zones_known() -> list[str]:
    """Every zone of Bearman's nodes, and the default zone."""
    zones = set(Node.objects.values_list("availability_zone", flat=True).distinct())
    return sorted(zones | {DEFAULT_ZONE})


def zone_queues(zones: list[str]) -> list[str]:
    """The queues of `zones`, both lanes each: what a worker of these zones consumes."""
    return [zone_queue_name(zone, lane) for zone in zones for lane in Lane]


def workers_by_zone(*, fresh: bool = False) -> dict[str, dict[Lane, list[str]]]:
    """zone → lane → the live workers consuming that lane's queue of the zone (zones and
    lanes nobody serves are left out)."""
    served: dict[str, dict[Lane, list[str]]] = {}
    for worker, queues in sorted(_workers(fresh=fresh).items()):
        for zone, lane in filter(None, map(zone_of_queue, queues)):
            served.setdefault(zone, {}).setdefault(lane, []).append(worker)
    return served


def _workers(*, fresh: bool) -> dict[str, set[str]]:
    global _workers_seen
    now = time.monotonic()
    if fresh or _workers_seen is None or now - _workers_seen[0] > WORKERS_FRESH_SECONDS:
        _workers_seen = (now, power_workers_queues())
    return _workers_seen[1]


def zones_state(*, now: datetime.datetime | None = None) -> list[ZoneState]:
    """Every zone known, served or waited on: its workers, queue lengths, oldest wait."""
    now = now or timezone.now()
    served = workers_by_zone()
    waiting = {
        row["node__availability_zone"]: row
        for row in PowerOperation.objects.filter(state=OperationState.PENDING)
        .values("node__availability_zone")
        .annotate(n=Count("id"), oldest=Min("queued_at"))
    }
    names = sorted(set(zones_known()) | set(served) | set(waiting))
    lengths = broker_queue_lengths(zone_queues(names))
    zones = []
    for name in names:
        row = waiting.get(name)
        zones.append(
            ZoneState(
                name=name,
                lane_workers=served.get(name, {}),
                queue_lengths={lane: lengths.get(zone_queue_name(name, lane)) for lane in Lane},
                waiting=row["n"] if row else 0,
                oldest_waiting_seconds=(
                    max((now - row["oldest"]).total_seconds(), 0.0) if row else None
                ),
            )
        )
    return zones


def broker_queue_lengths(names: list[str]) -> dict[str, int | None]:
    """Messages waiting in each queue, as the broker counts them; None where it cannot tell."""
    lengths: dict[str, int | None] = dict.fromkeys(names)
    try:
        with app.connection_for_read(connect_timeout=BROKER_TIMEOUT_SECONDS) as connection:
            connection.ensure_connection(max_retries=1)
            channel = connection.channel()
            for name in names:
                try:
                    lengths[name] = channel.queue_declare(queue=name, passive=True).message_count
                except connection.channel_errors:
                    # Never declared (nothing sent, no worker): empty. RabbitMQ closes the
                    # channel on this answer, so the next queue needs a new one.
                    lengths[name] = 0
                    channel = connection.channel()
            channel.close()
    except Exception as error:  # the broker is away: the lengths are unknown, not zero
        log.warning("could not ask the broker how long the zone queues are: %s", error)
    return lengths


def power_operations_waiting(operations) -> dict[int, str]:
    """operation id → why it waits, for each PENDING one whose zone's lane no live worker
    serves: "waiting for a worker of zone b — none is running"; operations that a worker
    will take are left out."""
    pending = [op for op in operations if op.state == OperationState.PENDING]
    if not pending:
        return {}
    served = workers_by_zone()
    reasons = {}
    for op in pending:
        zone, lane = op.node.availability_zone, power_lane_of(op.requested_by)
        if zone not in served:
            reasons[op.pk] = f"waiting for a worker of zone {zone} — none is running"
        elif lane not in served[zone]:
            reasons[op.pk] = (
                f"waiting for a worker of zone {zone} that serves its {LANE_WORDS[lane]} "
                "lane — none is running"
            )
    return reasons


class ZoneCollector:
    """/metrics' zone gauges (bearman.metrics.render_metrics), read when scraped."""

    def collect(self):
        workers = GaugeMetricFamily(
            "bearman_zone_workers", "Live workers serving the zone's lane", labels=["zone", "lane"]
        )
        lengths = GaugeMetricFamily(
            "bearman_zone_queue_length",
            "Messages waiting in the zone's queue of a lane (the broker's count)",
            labels=["zone", "lane"],
        )
        waiting = GaugeMetricFamily(
            "bearman_zone_waiting_operations", "Power operations waiting (pending)", labels=["zone"]
        )
        oldest = GaugeMetricFamily(
            "bearman_zone_oldest_waiting_seconds",
            "Age of the zone's oldest waiting power operation (0: none waits)",
            labels=["zone"],
        )
        for zone in zones_state():
            for lane in Lane:
                workers.add_metric(
                    [zone.name, LANE_WORDS[lane]], len(zone.lane_workers.get(lane, []))
                )
            for lane, length in zone.queue_lengths.items():
                if length is not None:
                    lengths.add_metric([zone.name, LANE_WORDS[lane]], length)
            waiting.add_metric([zone.name], zone.waiting)
            oldest.add_metric([zone.name], zone.oldest_waiting_seconds or 0.0)
        yield from (workers, lengths, waiting, oldest)
