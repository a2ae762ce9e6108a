"""IPman allocation throughput against the database's limit, and cost as a pool fills.

Run: DATABASE_URL=postgres://… .venv/bin/python bench/ipman_alloc.py (or make bench).
PostgreSQL only. On a scratch database (created here, dropped at the end) it prints:
- allocations/s of 32 worker processes calling ip_allocate on one pool;
- the TPS of a plain single-row INSERT into a table with a unique constraint, issued by the
  same 32 processes through the same connections (the limit);
- their ratio (target >= 0.5): rounds of the two loads run in pairs, back to back, and the
  ratio is the median of the pairs' ratios;
- the mean time of the first 100 and of the last 100 allocations of a /16, and their ratio
  (target <= 1.5); medians beside them.
Each throughput figure is the median of its rounds.
"""

import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bearman.settings")

WORKERS = 32
# The machine's pace drifts (checkpoints, other work): many short rounds in pairs, and the
# ratio of each pair, see the same conditions on both sides.
ROUNDS = 8
SECONDS = 3.0
SAMPLE = 100
THROUGHPUT_NETWORK = "10.0.0.0/14"  # room for every round's allocations
FRESH_NETWORK = "10.8.0.0/16"
FULL_NETWORK = "10.9.0.0/16"


def start(database_name: str) -> None:
    """Worker initializer: Django on the scratch database."""
    import django

    django.setup()
    from django.db import connection

    connection.settings_dict["NAME"] = database_name


def ready(barrier) -> None:
    """Return once every worker process is up: no round starts with some still starting."""
    barrier.wait()


def insert_loop(worker: int, round_: int, start_at: float) -> int:
    """Plain single-row INSERTs, each its own transaction, for SECONDS from start_at."""
    from django.db import connection

    done = 0
    with connection.cursor() as cursor:
        for _ in _timed(start_at):
            cursor.execute(
                "INSERT INTO bench_plain (value) VALUES (%s)", [f"{round_}/{worker}/{done}"]
            )
            done += 1
    return done


def allocate_loop(pool_id: int, worker: int, round_: int, start_at: float) -> int:
    """ip_allocate for new owners, with the pool in hand, for SECONDS from start_at."""
    from ipman.selectors import pool_get
    from ipman.services import ip_allocate

    pool, done = pool_get(pool=pool_id), 0
    for _ in _timed(start_at):
        ip_allocate(pool=pool, owner=f"bench/{round_}/{worker}/{done}")
        done += 1
    return done


def fill(pool_id: int, worker: int, count: int) -> int:
    """Allocate `count` addresses for new owners."""
    from ipman.selectors import pool_get
    from ipman.services import ip_allocate

    pool = pool_get(pool=pool_id)
    for n in range(count):
        ip_allocate(pool=pool, owner=f"fill/{worker}/{n}")
    return count


def _timed(start_at: float):
    time.sleep(max(0.0, start_at - time.time()))
    end = start_at + SECONDS
    while time.time() < end:
        yield


def race(workers, function, arguments) -> float:
    """Operations per second of one round: every worker runs `function` for SECONDS."""
    start_at = time.time() + 1.0
    calls = [(*args, start_at) for args in arguments]
    return sum(workers.starmap(function, calls, chunksize=1)) / SECONDS


def throughput(workers, pool_id: int) -> tuple[list[float], list[float]]:
    """Rounds of both loads in pairs, back to back; each pair starts with the other load."""
    inserts, allocations = [], []
    for round_ in range(ROUNDS):
        loads = [
            (inserts, insert_loop, [(w, round_) for w in range(WORKERS)]),
            (allocations, allocate_loop, [(pool_id, w, round_) for w in range(WORKERS)]),
        ]
        for figures, function, arguments in loads[:: 1 if round_ % 2 == 0 else -1]:
            figures.append(race(workers, function, arguments))
    return inserts, allocations


def timed_ms(pool, owner: str) -> float:
    from ipman.services import ip_allocate

    start = time.perf_counter()
    ip_allocate(pool=pool, owner=owner)
    return (time.perf_counter() - start) * 1000


def fill_costs(workers) -> tuple[int, list[float], list[float]]:
    """The /16 size and the times of its first 100 and its last 100 allocations.

    Two /16s: a fresh one, and one filled by the workers to 100 short of full. Their
    allocations are timed in turns, so both samples see the same load on the machine.
    """
    from ipman.errors import PoolExhausted
    from ipman.models import Allocation
    from ipman.services import ip_allocate, pool_create

    fresh = pool_create(name="fresh", network=FRESH_NETWORK, purpose="ipmi", gateway="10.8.0.1")
    full = pool_create(name="full", network=FULL_NETWORK, purpose="ipmi", gateway="10.9.0.1")
    total = full.space.total
    count = total - SAMPLE
    shares = [count // WORKERS + (w < count % WORKERS) for w in range(WORKERS)]
    workers.starmap(fill, [(full.pk, w, share) for w, share in enumerate(shares)], chunksize=1)
    first, last = [], []
    for n in range(SAMPLE):
        first.append(timed_ms(fresh, f"first/{n}"))
        last.append(timed_ms(full, f"last/{n}"))
    try:
        ip_allocate(pool=full, owner="one-too-many")
        raise SystemExit("the full /16 should be exhausted now")
    except PoolExhausted:
        pass
    assert Allocation.objects.filter(pool=full).count() == total
    return total, first, last


def main() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "bench/ipman_alloc.py measures PostgreSQL: set DATABASE_URL=postgres://…"
            " (SQLite runs one writer at a time, so concurrency is not its question)."
        )
    import django

    django.setup()
    from django.db import connection

    from ipman.services import pool_create

    connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_bench_ipman"
    original = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    context = multiprocessing.get_context("spawn")
    workers = context.Pool(WORKERS, initializer=start, initargs=(connection.settings_dict["NAME"],))
    manager = context.Manager()
    try:
        workers.map(ready, [manager.Barrier(WORKERS)] * WORKERS, chunksize=1)
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_plain (id bigserial PRIMARY KEY, value text UNIQUE)")
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        pool = pool_create(name="throughput", network=THROUGHPUT_NETWORK, purpose="service")
        inserts, allocations = throughput(workers, pool.pk)
        total, first, last = fill_costs(workers)
    finally:
        workers.close()
        workers.join()
        manager.shutdown()
        connection.creation.destroy_test_db(original, verbosity=0)
    report(version, inserts, allocations, total, first, last)


def report(version, inserts, allocations, total, first, last) -> None:
    mean_first, mean_last = statistics.fmean(first), statistics.fmean(last)
    ratios = [a / i for i, a in zip(inserts, allocations, strict=True)]
    print(f"database: PostgreSQL {version}; {WORKERS} worker processes; {os.cpu_count()} CPUs")
    print(f"rounds: {ROUNDS} pairs of {SECONDS:.0f} s per load, back to back; medians")
    insert_tps, allocations_per_second = statistics.median(inserts), statistics.median(allocations)
    print(f"plain INSERT, unique constraint (limit): {insert_tps:9,.0f} TPS")
    print(f"ip_allocate, one pool:                   {allocations_per_second:9,.0f} allocations/s")
    for n, (insert, allocation, ratio) in enumerate(
        zip(inserts, allocations, ratios, strict=True), 1
    ):
        print(
            f"  pair {n}: {insert:7,.0f} TPS, {allocation:7,.0f} allocations/s, ratio {ratio:.2f}"
        )
    print(f"ratio: {statistics.median(ratios):.2f} (median of the pairs; target >= 0.5)")
    print(
        f"/16 pool ({total:,} addresses): first {SAMPLE} {mean_first:.2f} ms mean "
        f"({statistics.median(first):.2f} median), last {SAMPLE} {mean_last:.2f} ms mean "
        f"({statistics.median(last):.2f} median); ratio of means {mean_last / mean_first:.2f} "
        "(target <= 1.5)"
    )


if __name__ == "__main__":
    main()
