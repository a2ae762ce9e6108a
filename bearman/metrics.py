"""Prometheus metrics: counters observed where things happen, inventory counted at scrape.

Every process (gunicorn workers, gRPC servers, Celery workers) writes its samples to
PROMETHEUS_MULTIPROC_DIR; /metrics adds them up and adds the inventory gauges read
from the database at that moment.
"""

from django.db.models import Count, Q
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from bearman.models import (
    Baremetal,
    BmcHealth,
    BreakerState,
    ConformanceDifference,
    ConformanceVerdict,
    Node,
)
from ipman.selectors import pool_list_with_usage, pool_usage

GRPC_CALLS = Counter(
    "bearman_grpc_calls_total", "Agent API calls by method and status code", ["method", "code"]
)
GRPC_SECONDS = Histogram(
    "bearman_grpc_call_seconds",
    "Agent API call latency",
    ["method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
POWER_OPERATIONS = Counter(
    "bearman_power_operations_total", "Finished power operations", ["action", "result"]
)
POWER_SECONDS = Histogram(
    "bearman_power_operation_seconds",
    "Power operation time in the worker",
    ["action"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
NOTICES_UNDELIVERABLE = Counter(
    "bearman_notices_undeliverable_total", "Notices the webhook never took, given up", ["reason"]
)
IPXE_REQUESTS = Counter(
    "bearman_ipxe_requests_total", "iPXE script requests answered by Bearman", ["outcome"]
)
BOOT_PHASE_SECONDS = Histogram(
    "bearman_boot_phase_seconds",
    "Time each Baremetal spent per phase: deploy start (the node's iPXE script changes) "
    "→ GetProfile → GetDetail → ReportInstalled",
    ["phase"],
    buckets=(5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200),
)
BOOT_STEP_SECONDS = Histogram(
    "bearman_boot_step_seconds",
    "Time from a run's step before to this one, observed once per run when the step is "
    "recorded (bearman/services/timeline.py)",
    ["flow", "step"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600),
)


class InventoryCollector:
    """Nodes, Baremetals and pool usage, counted in the database when scraped."""

    def collect(self):
        nodes = GaugeMetricFamily(
            "bearman_nodes", "Nodes by status and availability zone", labels=["status", "zone"]
        )
        for row in Node.objects.values("status", "availability_zone").annotate(n=Count("id")):
            nodes.add_metric([row["status"], row["availability_zone"]], row["n"])
        yield nodes
        baremetals = GaugeMetricFamily(
            "bearman_baremetals", "Baremetals by status", labels=["status"]
        )
        for row in Baremetal.objects.values("status").annotate(n=Count("id")):
            baremetals.add_metric([row["status"]], row["n"])
        yield baremetals
        yield from _pool_usage()
        yield from _conformance()
        yield _bmc_breakers()


def _bmc_breakers():
    """BMCs by circuit-breaker state (bearman.services.power.pacing; counted here, as the
    services import this module)."""
    now = timezone.now()
    counts = BmcHealth.objects.aggregate(
        closed=Count("id", filter=Q(retry_at=None)),
        open=Count("id", filter=Q(retry_at__gt=now)),
        half_open=Count("id", filter=Q(retry_at__lte=now)),
    )
    breakers = GaugeMetricFamily(
        "bearman_bmc_breakers",
        "BMCs by circuit-breaker state: open ones are left alone until their next try",
        labels=["state"],
    )
    for state, n in counts.items():
        breakers.add_metric([BreakerState(state).value], n)
    return breakers


def _pool_usage():
    used = GaugeMetricFamily("bearman_ipman_pool_used", "Addresses allocated", labels=["pool"])
    size = GaugeMetricFamily("bearman_ipman_pool_size", "Usable addresses", labels=["pool"])
    for pool in pool_list_with_usage():
        usage = pool_usage(pool=pool)
        used.add_metric([pool.name], usage.used)
        size.add_metric([pool.name], usage.total)
    yield used
    yield size


def _conformance():
    """Nodes by their latest verdict, and the differences in those verdicts by kind."""
    nodes = GaugeMetricFamily(
        "bearman_nodes_conformance",
        "Nodes by their latest conformance verdict (unchecked: none yet)",
        labels=["verdict"],
    )
    latest = ConformanceVerdict.objects.filter(latest=True)
    counts = {row["passed"]: row["n"] for row in latest.values("passed").annotate(n=Count("id"))}
    nodes.add_metric(["passed"], counts.get(True, 0))
    nodes.add_metric(["failed"], counts.get(False, 0))
    nodes.add_metric(["unchecked"], Node.objects.count() - sum(counts.values()))
    yield nodes
    differences = GaugeMetricFamily(
        "bearman_conformance_differences",
        "Differences in nodes' latest verdicts, by kind; waived ones apart",
        labels=["kind", "waived"],
    )
    rows = (
        ConformanceDifference.objects.filter(verdict__latest=True)
        .values("kind", waived=Q(waiver__isnull=False))
        .annotate(n=Count("id"))
    )
    for row in rows:
        differences.add_metric([row["kind"], str(row["waived"]).lower()], row["n"])
    yield differences


def observe_boot_phases(baremetal) -> None:
    """Record how long a finished Baremetal spent in each phase."""
    marks = [
        ("start_to_profile", baremetal.deploy_started_at, baremetal.deploying_at),
        ("profile_to_detail", baremetal.deploying_at, baremetal.detail_at),
        ("detail_to_installed", baremetal.detail_at, baremetal.installed_at),
        ("total", baremetal.deploy_started_at, baremetal.installed_at),
    ]
    for phase, start, end in marks:
        if start and end and end >= start:
            BOOT_PHASE_SECONDS.labels(phase).observe((end - start).total_seconds())


def render_metrics(*collectors) -> bytes:
    """The exposition text of every process's samples plus the inventory and `collectors`
    (those of the services, which import this module and so are passed in)."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    registry.register(InventoryCollector())
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)
