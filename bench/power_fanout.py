"""Power-state refresh of 1,000 virtual BMCs: Bearman's worker against ipmitool per node.

Run: .venv/bin/python bench/power_fanout.py (or `make bench`). DATABASE_URL=postgres://…
uses a scratch database next to it (created and dropped), else a SQLite file in a
temporary folder; CELERY_BROKER_URL=redis://… uses (and empties) that Redis database,
else the embedded file-system broker. Needs ipmitool (`apt-get install ipmitool`).

1. 1,000 virtual IPMI BMCs on 127.0.0.1 (several processes), a random half of them
   powered on over IPMI, and one node registered per BMC;
2. a real `celery worker` (the Procfile's concurrency), started and ready before the
   clock starts; then `bearman.tasks.power_sync` is queued and the clock runs until
   every node's power state has been stored again, each checked against its BMC;
3. the baseline, as Ironic does it by default: one `ipmitool -I lanplus -C 3 … chassis
   power status` subprocess per node, 8 at a time, against the same BMCs.
Prints both wall times and the ratio ipmitool/Bearman (targets: Bearman <= 10 s,
ratio >= 3); exits 1 when a target is missed or a state is wrong.

`--zones 1,2` times step 2 once per layout, on the same BMCs: 1 is the above (every node
in the default zone, one worker serving every zone); 2 puts half of the nodes in zone
z1 and half in z2, served by two workers (BEARMAN_WORKER_ZONES=z1, =z2), as two sites
would be; the sync's batches go to each zone's queue. Each layout is held to the targets.
"""

import argparse
import os
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The repository first: bench/lab.py must not hide the `lab` package from Django's settings.
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from support import (  # noqa: E402
    BMC_PASSWORD,
    BMC_USER,
    power_bench_environment,
    virtual_bmcs_started,
)

USER, PASSWORD = BMC_USER, BMC_PASSWORD

IPMITOOL = shutil.which("ipmitool") or "/usr/bin/ipmitool"
TARGET_SECONDS, TARGET_RATIO = 10.0, 3.0
ANSWER = re.compile(r"Chassis Power is (on|off)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="virtual BMCs (one node each)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=int(os.environ.get("BEARMAN_WORKER_CONCURRENCY") or 4),
        help="worker processes (default: the Procfile's, 4)",
    )
    parser.add_argument("--baseline-workers", type=int, default=8, help="ipmitool in parallel")
    parser.add_argument("--base-port", type=int, help="first UDP port (default: a free range)")
    parser.add_argument("--worker-log", type=Path, help="keep the worker's log in this file")
    parser.add_argument(
        "--zones",
        default="1",
        help="zone layouts to time, e.g. 1,2: the BMCs split evenly over that many zones, "
        "one worker (of --concurrency processes) each (default 1)",
    )
    args = parser.parse_args()
    try:
        args.zones = [int(count) for count in args.zones.split(",")]
    except ValueError:
        parser.error(f"--zones takes whole numbers separated by commas, not {args.zones!r}")
    if any(not 1 <= count <= 8 for count in args.zones):
        parser.error("--zones: between 1 and 8 zones")
    if not os.access(IPMITOOL, os.X_OK):
        raise SystemExit("ipmitool is missing: apt-get install ipmitool")
    # The database is bearman_bench_power on PostgreSQL.
    with power_bench_environment("power") as var:
        sys.exit(run(args, var))


def run(args, var: Path) -> int:
    ports, bmcs = virtual_bmcs_started(args.count, args.base_port)
    from lab import virtual_bmc

    try:
        expected = power_half_on(ports)
        register(ports)
        single = one_call_figures(ports[:25])
        ours = {}
        for zones in args.zones:
            with zone_workers(
                ports, zones, args.concurrency, args.worker_log or var / "worker.log"
            ):
                ours[zones] = bearman_refresh(expected)
        baseline = ipmitool_refresh(expected, args.baseline_workers)
    finally:
        virtual_bmc.stop(bmcs)
    return report(args, len(bmcs), single, ours, baseline)


def power_half_on(ports: list[int]) -> dict[int, str]:
    """Power a random half of the BMCs on (over IPMI); the state each BMC should report."""
    from bearman.power import PowerRequest
    from bearman.power.ipmi import IpmiPowerDriver

    on = set(random.Random(9).sample(ports, len(ports) // 2))
    driver = IpmiPowerDriver()
    for port in sorted(on):
        driver.set_power_state(target(port), PowerRequest.ON)
    return {port: "on" if port in on else "off" for port in ports}


def target(port: int):
    from bearman.power import BmcTarget

    return BmcTarget(address="127.0.0.1", port=port, username=USER, password=PASSWORD)


def register(ports: list[int]) -> None:
    from lab.virtual_bmcs import virtual_bmc_nodes_register

    virtual_bmc_nodes_register(
        address="127.0.0.1", ports=ports, username=USER, password=PASSWORD, actor="bench"
    )


def one_call_figures(ports: list[int]) -> dict[str, float]:
    """Median seconds of one status call per BMC: our driver in-process, ipmitool forked."""
    from bearman.power.ipmi import IpmiPowerDriver

    driver, ours, theirs = IpmiPowerDriver(), [], []
    for port in ports:
        started = time.perf_counter()
        driver.get_power_state(target(port))
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        ipmitool_status(port)
        theirs.append(time.perf_counter() - started)
    return {"pyghmi": statistics.median(ours), "ipmitool": statistics.median(theirs)}


@contextmanager
def zone_workers(ports: list[int], zones: int, concurrency: int, log: Path):
    """The nodes spread over `zones` zones (the default zone when 1), one worker each."""
    from bearman.models import Node

    if zones == 1:
        Node.objects.update(availability_zone="default")
        with celery_worker(concurrency, log):  # the Procfile's: every zone
            yield
        return
    names = [f"z{index + 1}" for index in range(zones)]
    for index, name in enumerate(names):
        Node.objects.filter(bmc_port__in=ports[index::zones]).update(availability_zone=name)
    with ExitStack() as stack:
        for index, name in enumerate(names):
            # The first also takes the zone-less work: the sync's fan-out.
            shared = "true" if index == 0 else "false"
            zone = {"BEARMAN_WORKER_ZONES": name, "BEARMAN_WORKER_SHARED_QUEUES": shared}
            worker_log = log.with_name(f"{log.stem}-{name}{log.suffix}")
            stack.enter_context(celery_worker(concurrency, worker_log, zone, hostname=name))
        yield


@contextmanager
def celery_worker(concurrency: int, log: Path, zone: dict | None = None, hostname: str = ""):
    """`celery worker` as the Procfile starts it, until the block ends; returns when ready."""
    from bearman.celery import app

    if os.environ.get("CELERY_BROKER_URL"):
        app.control.purge()  # no leftovers from an interrupted run
    command = [sys.executable, "-m", "celery", "-A", "bearman", "worker"]
    command += ["--concurrency", str(concurrency), "--loglevel", "INFO"]
    if hostname:
        command += ["--hostname", f"{hostname}@%h"]
    with open(log, "w") as output:
        worker = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(zone or {})},
        )
    try:
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(5)


def bearman_refresh(expected: dict[int, str]) -> dict:
    """Queue the power sync; seconds until every node's state is stored again, and checks."""
    from django.utils import timezone

    from bearman.models import Node
    from bearman.tasks import power_sync

    since = timezone.now()
    started = time.perf_counter()
    power_sync.delay()
    deadline = started + 300
    while Node.objects.filter(power_state_at__gte=since).count() < len(expected):
        if time.perf_counter() > deadline:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    seen = dict(
        Node.objects.filter(power_state_at__gte=since).values_list("bmc_port", "power_state")
    )
    return {"seconds": elapsed, **check(expected, seen)}


def ipmitool_status(port: int) -> str:
    command = [IPMITOOL, "-I", "lanplus", "-C", "3", "-H", "127.0.0.1", "-p", str(port)]
    command += ["-U", USER, "-P", PASSWORD, "chassis", "power", "status"]
    answer = subprocess.run(command, capture_output=True, text=True, timeout=60).stdout
    found = ANSWER.search(answer)
    return found.group(1) if found else "unknown"


def ipmitool_refresh(expected: dict[int, str], workers: int) -> dict:
    """One ipmitool process per BMC, `workers` at a time (Ironic's default fan-out)."""
    cpu_before = children_cpu()
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        seen = dict(zip(expected, pool.map(ipmitool_status, expected), strict=True))
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "cpu": children_cpu() - cpu_before, **check(expected, seen)}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def check(expected: dict[int, str], seen: dict[int, str]) -> dict:
    """How many BMCs were refreshed, and how many of those answers are not the BMC's state."""
    return {
        "refreshed": len(seen),
        "unknown": sum(state == "unknown" for state in seen.values()),
        "wrong": sum(state != expected[port] for port, state in seen.items()),
    }


def report(args, bmc_processes: int, single: dict, ours: dict, baseline: dict) -> int:
    from django.conf import settings
    from django.db import connection

    broker = settings.CELERY_BROKER_URL.split("://")[0]
    print(
        f"power fan-out on {connection.vendor}, {broker} broker: {args.count} virtual BMCs "
        f"in {bmc_processes} processes, half of them on; {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"  one status call (median of 25): pyghmi session {single['pyghmi'] * 1000:.1f} ms, "
        f"ipmitool process {single['ipmitool'] * 1000:.1f} ms"
    )
    for zones, run in ours.items():
        layout = "1 zone, 1 worker" if zones == 1 else f"{zones} zones, {zones} workers"
        print(
            f"  Bearman, power_sync, {layout} ({args.concurrency} processes each, batches of "
            f"{settings.BEARMAN_POWER_SYNC_BATCH}, {settings.BEARMAN_POWER_SYNC_PARALLEL} BMCs "
            f"at a time each): {run['seconds']:6.2f} s  refreshed {run['refreshed']}, "
            f"wrong {run['wrong']}, unknown {run['unknown']}"
        )
    print(
        f"  ipmitool per node, {args.baseline_workers} in parallel:        "
        f"{baseline['seconds']:6.2f} s  refreshed {baseline['refreshed']}, "
        f"wrong {baseline['wrong']}, unknown {baseline['unknown']} "
        f"(ipmitool CPU {baseline['cpu'] / args.count * 1000:.0f} ms per call)"
    )
    met = True
    for zones, run in ours.items():
        ratio = baseline["seconds"] / run["seconds"]
        fast = run["seconds"] <= TARGET_SECONDS
        print(
            f"  {zones} zone(s): Bearman <= {TARGET_SECONDS:g} s: {'met' if fast else 'NOT met'}; "
            f"ratio ipmitool/Bearman {ratio:.1f} (target >= {TARGET_RATIO:g}): "
            f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}"
        )
        met = met and fast and ratio >= TARGET_RATIO
    runs = [*ours.values(), baseline]
    correct = all(r["refreshed"] == args.count and not r["wrong"] for r in runs)
    return 0 if correct and met else 1


if __name__ == "__main__":
    main()
