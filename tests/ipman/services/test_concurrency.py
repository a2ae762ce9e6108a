"""Real concurrent allocations: separate processes, each with its own database connection.

The same tests run on SQLite (the embedded default) and, with DATABASE_URL, on PostgreSQL.
"""

import ipaddress
import multiprocessing
import time
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from ipman.errors import PoolInUse
from ipman.models import Allocation, FreeAddress, Pool
from ipman.services import ip_allocate, ip_release, pool_delete, pool_update
from ipman.services.free import pool_lock
from tests.ipman.factories import PoolFactory

from . import workers

PROCESSES = 32
RESULT_TIMEOUT = 300

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def processes(django_db_setup, django_db_blocker):
    """32 worker processes, started once for the module, each connected to the test database."""
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(
        PROCESSES, initializer=workers.start, initargs=(connection.settings_dict["NAME"],)
    )
    manager = context.Manager()
    try:
        barrier = manager.Barrier(PROCESSES)
        pids = pool.map(workers.ready, [barrier] * PROCESSES, chunksize=1)
        assert len(set(pids)) == PROCESSES
        yield pool
    finally:
        pool.close()
        pool.join()
        manager.shutdown()


def race(processes, function, arguments: list[tuple]) -> list:
    """Run one call per argument tuple in different processes, all starting at the same time."""
    start_at = time.time() + 1.0
    calls = [(*args, start_at) for args in arguments]
    return processes.starmap_async(function, calls, chunksize=1).get(RESULT_TIMEOUT)


def given_back(pool, count: int) -> None:
    """Allocate `count` addresses and release every other one: the free table is not empty."""
    for n in range(count):
        ip_allocate(pool=pool, owner=f"early/{n}")
    for n in range(0, count, 2):
        ip_release(owner=f"early/{n}", pool=pool)


@pytest.mark.parametrize("released", [0, 30], ids=["fresh-pool", "addresses-given-back"])
def test_32_processes_exhaust_a_pool_handing_out_every_address_once(processes, released):
    pool = PoolFactory(network="10.60.0.0/26", gateway="10.60.0.1")
    given_back(pool, released)
    kept = dict(Allocation.objects.filter(pool=pool).values_list("owner", "address"))
    expected = {str(address) for _, address in pool.space.slice(0, pool.space.total)}

    reports = race(processes, workers.allocate_until_full, [(pool.pk, n) for n in range(PROCESSES)])

    handed_out = [address for report in reports for address in report["allocated"].values()]
    assert len(expected) == 61
    assert sorted([*kept.values(), *handed_out]) == sorted(expected), "every address once"
    assert all(report["after_full"] == ["PoolExhausted"] * 4 for report in reports)
    stored = dict(Allocation.objects.filter(pool=pool).values_list("owner", "address"))
    assert stored == {**kept, **{o: a for r in reports for o, a in r["allocated"].items()}}
    assert all(a.created_at and a.owner and a.address for a in Allocation.objects.all())
    assert not FreeAddress.objects.filter(pool=pool).exists()
    assert sum(1 for report in reports if report["allocated"]) > 1, "the processes raced"


def test_one_owner_asking_from_16_processes_at_once_gets_one_address(processes):
    pool = PoolFactory(network="10.61.0.0/24", gateway="10.61.0.1")

    answers = race(processes, workers.allocate_as, [(pool.pk, "node/same/ipmi")] * 16)

    (address,) = {address for address, _ in answers}
    assert sum(created for _, created in answers) == 1
    assert list(Allocation.objects.values_list("owner", "address")) == [("node/same/ipmi", address)]
    # Whichever of the racing claims went in first, the addresses the others drew are free
    # again: the next owners get every address from .2 up, lowest first, none skipped.
    after = [ip_allocate(pool=pool, owner=f"node/{n}/ipmi").address for n in range(16)]
    assert after == sorted(after, key=ipaddress.ip_address)
    assert sorted([address, *after], key=ipaddress.ip_address) == [
        f"10.61.0.{n}" for n in range(2, 19)
    ]
    assert not FreeAddress.objects.filter(pool=pool).exists()


def test_a_claim_that_loses_to_the_same_owner_gives_its_address_back(processes, tmp_path):
    """The loser drew .3 while the winner's .2 was not yet committed: .3 goes out next."""
    pool = PoolFactory(network="10.69.0.0/24", gateway="10.69.0.1")
    signal = tmp_path / "allocated"
    holder = processes.apply_async(
        workers.allocate_and_hold, (pool.pk, "node/twice", str(signal), 1)
    )
    deadline = time.time() + RESULT_TIMEOUT
    while not signal.exists() and time.time() < deadline:
        time.sleep(0.05)

    again = ip_allocate(pool=pool, owner="node/twice")

    assert holder.get(RESULT_TIMEOUT) == again.address == "10.69.0.2"
    assert not again.created
    assert ip_allocate(pool=pool, owner="node/next").address == "10.69.0.3"


def test_32_processes_allocating_in_batches_hand_out_every_address_once(processes):
    """ip_allocate_many, three owners a call: the same guarantees as one owner a call."""
    pool = PoolFactory(network="10.67.0.0/25", gateway="10.67.0.1")
    given_back(pool, 40)  # the free table first, then the cursor
    kept = dict(Allocation.objects.filter(pool=pool).values_list("owner", "address"))
    expected = {str(address) for _, address in pool.space.slice(0, pool.space.total)}

    reports = race(
        processes, workers.allocate_many_until_full, [(pool.pk, n) for n in range(PROCESSES)]
    )

    handed_out = [address for report in reports for address in report["allocated"].values()]
    assert sorted([*kept.values(), *handed_out]) == sorted(expected), "every address once"
    stored = dict(Allocation.objects.filter(pool=pool).values_list("owner", "address"))
    assert stored == {**kept, **{o: a for r in reports for o, a in r["allocated"].items()}}
    # A refused call left none of its owners behind.
    refused = [owner for report in reports for owner in report["refused"]]
    assert not Allocation.objects.filter(owner__in=refused).exists()
    assert not FreeAddress.objects.filter(pool=pool).exists()
    assert sum(1 for report in reports if report["allocated"]) > 1, "the processes raced"


def test_the_same_owners_asking_from_16_processes_at_once_get_one_address_each(processes):
    pool = PoolFactory(network="10.68.0.0/24", gateway="10.68.0.1")
    owners = [f"node/{n}/ipmi" for n in range(5)]
    # Each process asks in another order, with an owner of its own among them.
    arguments = [(pool.pk, [*owners[n % 5 :], *owners[: n % 5], f"own/{n}"]) for n in range(16)]

    answers = race(processes, workers.allocate_many_as, arguments)

    held = dict(Allocation.objects.filter(pool=pool).values_list("owner", "address"))
    assert len(held) == 5 + 16 and len(set(held.values())) == 5 + 16
    for (_, asked), answer in zip(arguments, answers, strict=True):
        assert [address for address, _ in answer] == [held[owner] for owner in asked]
    made = Counter()
    for (_, asked), answer in zip(arguments, answers, strict=True):
        made.update(owner for owner, (_, created) in zip(asked, answer, strict=True) if created)
    assert made == Counter(list(held)), "each owner's address was made once"


def test_a_network_change_waits_for_an_allocation_in_flight_and_is_refused(processes, tmp_path):
    pool = PoolFactory(network="10.64.0.0/24", gateway="10.64.0.1")
    signal = tmp_path / "allocated"
    arguments = (pool.pk, "node/slow", str(signal), 2)
    holder = processes.apply_async(workers.allocate_and_hold, arguments)
    deadline = time.time() + RESULT_TIMEOUT
    while not signal.exists() and time.time() < deadline:
        time.sleep(0.05)
    with pytest.raises(ValidationError, match="cannot change while the pool has 1 allocations"):
        pool_update(pool=pool, network="10.65.0.0/24", gateway="10.65.0.1")
    assert holder.get(RESULT_TIMEOUT) == "10.64.0.2"
    assert Pool.objects.get(pk=pool.pk).network == "10.64.0.0/24"


def test_deleting_a_pool_waits_for_an_allocation_in_flight_and_is_refused(processes, tmp_path):
    pool = PoolFactory(network="10.66.0.0/24", gateway="10.66.0.1")
    signal = tmp_path / "allocated"
    arguments = (pool.pk, "node/slow", str(signal), 2)
    holder = processes.apply_async(workers.allocate_and_hold, arguments)
    deadline = time.time() + RESULT_TIMEOUT
    while not signal.exists() and time.time() < deadline:
        time.sleep(0.05)
    with pytest.raises(PoolInUse, match="has 1 allocations"):
        pool_delete(pool=pool)
    assert holder.get(RESULT_TIMEOUT) == "10.66.0.2"
    assert list(Allocation.objects.filter(pool_id=pool.pk).values_list("owner", "address")) == [
        ("node/slow", "10.66.0.2")
    ]
    assert Pool.objects.filter(pk=pool.pk).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite, the embedded default, runs one writer at a time by design",
)
def test_allocations_do_not_wait_for_a_locked_pool(processes):
    busy, other = PoolFactory(network="10.62.0.0/24"), PoolFactory(network="10.63.0.0/24")
    with transaction.atomic():
        pool_lock(pool_id=busy.pk)  # as a release, a reservation or a sweep does
        answers = race(processes, workers.allocate_as, [(busy.pk, "a"), (other.pk, "b")])
    assert answers == [("10.62.0.2", True), ("10.63.0.2", True)]
