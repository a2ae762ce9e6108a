"""Registration storm: 1,000 distinct agents registering, 64 in flight, over real gRPC.

Run, on PostgreSQL (a scratch database is made and dropped):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bearman \
        .venv/bin/python bench/registration_storm.py
Prints registrations/s, p50/p99 latency, errors and duplicate IPMI addresses (both must
be 0), the RPC/s of a no-op unary call (grpc.health.v1.Health/Check) on the same server,
and their ratio (target >= 0.3); then the CPU each call cost the server processes,
PostgreSQL and this client, which says where the time goes on a shared machine.

With --conformance it measures instead what the conformance check costs, side by side
in one run: rounds of --agents registrations of nodes an operator typed in without a
flavor or cabling plan (nothing to check), then of nodes with a flavor that sets every
expectation and a plan for their NIC (a verdict each, passing), alternating; it prints
each round and the ratio of the medians (target >= 0.85: within 15 %).
"""

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The repository first: bench/lab.py must not hide the `lab` package from Django's settings.
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from support import on_postgres, scratch_postgres  # noqa: E402

TOKEN = "bench-enrollment-token"


def prepare(agents: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from tests.bearman.grpc.pools import make_pool

    call_command("migrate", verbosity=0)
    make_pool(name="bench-ipmi", network="10.64.0.0/20", purpose="ipmi", zone="default")
    assert agents < 4000


def request_for(index: int, *, whole: bool = False):
    """Agent `index`'s Register call; `whole`: with every fact a real server reports."""
    from bearman_agent.wire.bearman.v1 import agent_pb2

    if whole:
        return whole_request_for(index)
    return agent_pb2.RegisterRequest(
        facts=agent_pb2.Facts(
            system_uuid=str(uuid.UUID(int=index + 1)),
            serial=f"BENCH{index:06d}",
            vendor="Bench Inc.",
            product="Simulated",
            nics=[
                agent_pb2.Nic(
                    name="eth0",
                    mac=f"02:00:00:{index >> 16 & 255:02x}:"
                    f"{index >> 8 & 255:02x}:{index & 255:02x}",
                    link=True,
                )
            ],
        ),
        agent_address=f"10.200.{index >> 8 & 255}.{index & 255}",
        agent_version="bench",
    )


def whole_request_for(index: int):
    """A Register call with CPU, memory, a disk, a 25G NIC seen over LLDP and firmware."""
    from bearman_agent.wire.bearman.v1 import agent_pb2

    request = request_for(index)
    facts = request.facts
    facts.bios_version = "2.19.1"
    facts.cpu.CopyFrom(
        agent_pb2.Cpu(model="Intel(R) Xeon(R) Gold 6230", sockets=2, cores=40, threads=80)
    )
    facts.memory_bytes = 376 * 1024**3
    facts.disks.append(agent_pb2.Disk(name="sda", model="MZ7LH960", size_bytes=960197124096))
    facts.nics[0].speed_mbps = 25000
    facts.nics[0].lldp.CopyFrom(
        agent_pb2.LldpNeighbor(system_name="bench-leaf", port_id=f"Ethernet{index}")
    )
    facts.bmc.firmware = "6.10"
    return request


def typed_in(indexes: range, *, checked: bool) -> None:
    """Nodes an operator typed in before they boot; `checked`: with a flavor and a plan."""
    from bearman.models import CablingLink, Flavor, Node

    flavor = None
    if checked:
        flavor, _ = Flavor.objects.get_or_create(
            name="bench-compute",
            defaults={
                "cpu_model_pattern": "*Xeon*Gold*",
                "cpu_min_cores": 40,
                "memory_gib": 384,
                "disk_count": 1,
                "disk_kind": "ssd",
                "disk_min_gb": 400,
                "nic_count": 1,
                "nic_min_speed_mbps": 25000,
                "nic_link_required": True,
                "firmware_minimums": {"bios": "2.19.1", "bmc": "6.00"},
            },
        )
        CablingLink.objects.bulk_create(
            CablingLink(
                serial=f"BENCH{i:06d}", nic="eth0", switch="bench-leaf", port=f"Ethernet{i}"
            )
            for i in indexes
        )
    Node.objects.bulk_create(
        Node(uuid=str(uuid.UUID(int=i + 1)), availability_zone="default", flavor=flavor)
        for i in indexes
    )


def conformance_rounds(args, target: str, server: subprocess.Popen) -> None:
    """Alternate rounds without anything to check and with a verdict per registration."""
    from bearman.models import ConformanceVerdict, Node

    rates, cpu = {False: [], True: []}, {False: 0.0, True: 0.0}
    for round_number in range(args.rounds):
        for checked in (False, True):
            first = (2 * round_number + checked) * args.agents
            indexes = range(first, first + args.agents)
            typed_in(indexes, checked=checked)
            calls = [registration_call(request_for(i, whole=True)) for i in indexes]
            postgres_before = cpu_seconds(postgres_pids())
            with CpuMeter(server) as meter:
                elapsed, latencies, errors = asyncio.run(storm(target, calls, args.in_flight))
            rates[checked].append(args.agents / elapsed)
            cpu[checked] += meter.server_cpu + meter.postgres - postgres_before
            print(
                f"  round {round_number + 1} {'with' if checked else 'without':7} verdicts: "
                f"{args.agents / elapsed:7.1f} registrations/s   "
                f"p50 {statistics.median(latencies) * 1000:6.1f} ms   errors {errors}"
            )
    verdicts = ConformanceVerdict.objects.filter(latest=True)
    without, with_ = (statistics.median(rates[checked]) for checked in (False, True))
    print(
        f"  verdicts {verdicts.count()} (passed {verdicts.filter(passed=True).count()})   "
        f"nodes held {Node.objects.filter(status='maintenance').count()} (must be 0)"
    )
    print(
        f"  median registrations/s without {without:.1f}, with {with_:.1f}: "
        f"ratio {with_ / without:.2f} (target >= 0.85)"
    )
    per_call = {checked: cpu[checked] / (args.rounds * args.agents) * 1000 for checked in cpu}
    print(
        f"  CPU ms per registration (server + PostgreSQL): without {per_call[False]:.2f}, "
        f"with {per_call[True]:.2f}: ratio {per_call[False] / per_call[True]:.2f}"
    )


async def storm(target: str, calls: list, in_flight: int) -> tuple[float, list[float], int]:
    """Run `calls` (coroutine factories taking a channel) with `in_flight` at once."""
    import grpc

    latencies, errors = [], 0
    queue = list(reversed(calls))
    async with grpc.aio.insecure_channel(target) as channel:

        async def worker():
            nonlocal errors
            while queue:
                call = queue.pop()
                started = time.perf_counter()
                try:
                    await call(channel)
                except grpc.RpcError:
                    errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        return time.perf_counter() - started, latencies, errors


def registration_call(request):
    from bearman_agent.wire.bearman.v1 import agent_pb2_grpc

    async def call(channel):
        stub = agent_pb2_grpc.AgentServiceStub(channel)
        await stub.Register(request, metadata=[("authorization", f"Bearer {TOKEN}")], timeout=60)

    return call


async def noop_call(channel):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=60)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--processes", type=int, default=2, help="run_grpc processes")
    parser.add_argument("--noop-calls", type=int, default=5000)
    parser.add_argument(
        "--conformance",
        action="store_true",
        help="measure registrations with and without a conformance verdict instead",
    )
    parser.add_argument("--rounds", type=int, default=3, help="with --conformance")
    args = parser.parse_args()

    if not on_postgres():
        raise SystemExit("Set DATABASE_URL=postgres://…: this benchmark runs on PostgreSQL")
    # Its own var directory: the queued BMC checks (file-system broker) and metric files
    # of this throwaway database must not reach anyone else's worker.
    var = tempfile.mkdtemp(prefix="bearman-registration-storm-")
    try:
        scratch = "bearman_bench_conformance" if args.conformance else "bearman_bench_registration"
        with scratch_postgres(scratch) as url:
            run(args, url, var)
    finally:
        shutil.rmtree(var, ignore_errors=True)


def cpu_seconds(pids) -> float:
    """User + system CPU seconds the processes `pids` have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(server: subprocess.Popen) -> list[int]:
    """run_grpc and the server processes it forked."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [server.pid, *map(int, children)]


def postgres_pids() -> list[int]:
    """The PostgreSQL backends serving the scratch database (the server keeps them open)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


class CpuMeter:
    """CPU of the server, PostgreSQL and this client over one phase of the benchmark."""

    def __init__(self, server: subprocess.Popen):
        self.server = server

    def __enter__(self):
        self.pids = server_pids(self.server)
        self.start = (cpu_seconds(self.pids), time.process_time())
        return self

    def __exit__(self, *exc):
        # Backends opened during the phase are still open (CONN_MAX_AGE): counted whole.
        self.postgres = cpu_seconds(postgres_pids())
        self.server_cpu = cpu_seconds(self.pids) - self.start[0]
        self.client_cpu = time.process_time() - self.start[1]


def run(args, database_url: str, var: str) -> None:
    """Start run_grpc on the scratch database, then storm it and measure a no-op call."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bearman.settings",
        "DATABASE_URL": database_url,
        "BEARMAN_ENROLLMENT_TOKEN": TOKEN,
        "BEARMAN_LOG_LEVEL": "WARNING",
        "BEARMAN_VAR_DIR": var,
        "PROMETHEUS_MULTIPROC_DIR": os.path.join(var, "metrics"),
        # Every simulated agent calls from 127.0.0.1: the limits on new registrations are
        # raised out of the way, but still counted on every batch, so their cost is measured.
        "BEARMAN_REGISTRATION_LIMIT_PER_SOURCE": str(10 * args.agents),
        "BEARMAN_REGISTRATION_LIMIT_GLOBAL": str(10 * args.agents),
    }
    os.environ.update(env)
    prepare(args.agents * (2 * args.rounds if args.conformance else 1))
    from tests.bearman.grpc.conftest import free_port, wait_serving

    target = f"127.0.0.1:{free_port()}"
    command = [
        sys.executable,
        "manage.py",
        "run_grpc",
        "--bind",
        target,
        "--processes",
        str(args.processes),
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_serving(target, server)
        if args.conformance:
            print(
                f"registration storm with and without conformance: {args.agents} agents a "
                f"round, {args.in_flight} in flight, {args.processes} server processes"
            )
            conformance_rounds(args, target, server)
            return
        calls = [registration_call(request_for(i)) for i in range(args.agents)]
        postgres_before = cpu_seconds(postgres_pids())
        with CpuMeter(server) as registering:
            elapsed, latencies, errors = asyncio.run(storm(target, calls, args.in_flight))
        with CpuMeter(server) as noop:
            noop_elapsed, _, noop_errors = asyncio.run(
                storm(target, [noop_call] * args.noop_calls, args.in_flight)
            )
        report(args, elapsed, latencies, errors, noop_elapsed, noop_errors)
        print_cpu(
            "register",
            registering.server_cpu,
            registering.postgres - postgres_before,
            registering.client_cpu,
            args.agents,
        )
        print_cpu(
            "no-op   ",
            noop.server_cpu,
            noop.postgres - registering.postgres,
            noop.client_cpu,
            args.noop_calls,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def print_cpu(what: str, server: float, postgres: float, client: float, calls: int) -> None:
    per_call = [f"{seconds / calls * 1000:.3f}" for seconds in (server, postgres, client)]
    print(
        f"  CPU ms per {what} call: server {per_call[0]}   PostgreSQL {per_call[1]}   "
        f"client {per_call[2]}"
    )


def report(args, elapsed, latencies, errors, noop_elapsed, noop_errors) -> None:
    from django.db import connection
    from django.db.models import Count

    from bearman.models import Node

    duplicates = (
        Node.objects.exclude(bmc_address=None)
        .values("bmc_address")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    rate, noop_rate = args.agents / elapsed, args.noop_calls / noop_elapsed
    print(
        f"registration storm on {connection.vendor}: {args.agents} agents, "
        f"{args.in_flight} in flight, {args.processes} server processes"
    )
    print(
        f"  registrations/s {rate:8.1f}   p50 {statistics.median(latencies) * 1000:6.1f} ms   "
        f"p99 {percentile(latencies, 0.99):6.1f} ms"
    )
    print(
        f"  errors {errors} (must be 0)   nodes {Node.objects.count()}   "
        f"duplicate IPMI addresses {duplicates} (must be 0)"
    )
    print(f"  no-op unary RPC/s {noop_rate:8.1f}   errors {noop_errors}")
    print(f"  ratio registrations/no-op: {rate / noop_rate:.2f} (target >= 0.3)")


if __name__ == "__main__":
    main()
