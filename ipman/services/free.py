"""The free table: addresses below a pool's cursor that are free again.

Three things put an address there: a release; the sweep, which finds positions the cursor
handed to a transaction that then rolled back; and a settings change, which re-reads every
allocation. Claims take the lowest row first (ipman.services.claims), before the cursor.

The sweep keeps `Pool.swept_through`: below it every position is allocated, in the free
table, or was in flight when the sweep ran (then it is in the free table too, and a claim
that finds it taken drops the row). It runs when the cursor reaches the end of the pool, so
"the pool is full" is said only once every lost position has been offered again; each
position is swept once, so later refusals cost nothing.

Every change here holds the pool's row lock, FOR NO KEY UPDATE (claims never lock the pool:
the allocation table has no foreign-key constraint to check, ipman.models.allocation): releases,
reservations, sweeps and settings changes of one pool take turns; other pools go on.
"""

from django.db import connection, transaction

from ipman.errors import PoolNotFound
from ipman.models import Allocation, FreeAddress, Pool

from .cursor import cursor_position

CHUNK = 1000  # positions read or written per statement
# A settings change frees the gaps between allocations up to the last one, unless that
# means more rows than this (allocations scattered over an IPv6 /64): the cursor then stops
# earlier and steps over the allocations beyond it when it gets there.
REBUILD_GAPS = 65_536


def pool_lock(*, pool_id: int) -> Pool:
    """Fetch the pool and lock its row until the transaction ends; PoolNotFound if it is gone."""
    pool = Pool.objects.select_for_update(no_key=True).filter(pk=pool_id).first()
    if pool is None:
        raise PoolNotFound(f"Pool {pool_id} does not exist (any more).")
    return pool


def free_return(*, pool: Pool, address: str) -> None:
    """Offer a released address of a locked pool again, if the cursor has passed it."""
    position = pool.space.position_of(address)
    # Not passed yet (or no longer handed out): the cursor, or nobody, gets to it.
    if position is not None and position < cursor_position(pool=pool):
        FreeAddress.objects.bulk_create(
            [FreeAddress(pool=pool, position=position, address=address)], ignore_conflicts=True
        )


def free_take(*, pool: Pool, address: str) -> None:
    """Take `address` out of a locked pool's free table (it is being reserved)."""
    FreeAddress.objects.filter(pool=pool, position=pool.space.position_of(address)).delete()


def free_after_nothing(*, pool_id: int) -> bool:
    """A claim found nothing: wait out claims in flight, sweep; True if anything is free."""
    with transaction.atomic():
        pool = pool_lock(pool_id=pool_id)
        # Blocks until the claims in flight end: their rows are gone, or free again.
        free = FreeAddress.objects.select_for_update().filter(pool=pool).order_by("position")
        if free.first():
            return True
        free_sweep(pool=pool, until=min(cursor_position(pool=pool), pool.space.positions))
        return FreeAddress.objects.filter(pool=pool).exists()


def free_prune(*, pool_id: int) -> None:
    """Drop the free rows of addresses that are allocated after all.

    The sweep lists positions whose claims were still in flight; a claim that finds such a
    row taken drops it, but a batch that ends full rolls those drops back with the rest.
    """
    with transaction.atomic():
        pool = pool_lock(pool_id=pool_id)
        held = Allocation.objects.filter(pool=pool).values("address")
        FreeAddress.objects.filter(pool=pool, address__in=held).delete()


def free_sweep(*, pool: Pool, until: int) -> None:
    """Offer again the positions below `until` that a locked pool lost to rollbacks."""
    for start in range(pool.swept_through, until, CHUNK):
        batch = pool.space.slice(start, min(CHUNK, until - start))
        listed = set(
            FreeAddress.objects.filter(
                pool=pool, position__gte=start, position__lte=batch[-1][0]
            ).values_list("position", flat=True)
        )
        _insert(pool, [row for row in _unheld(pool, batch) if row[0] not in listed])
    if until > pool.swept_through:
        Pool.objects.filter(pk=pool.pk).update(swept_through=until)
        pool.swept_through = until


def free_rebuild(*, pool: Pool) -> int:
    """Free every gap between a locked pool's allocations, after its address settings changed.

    Returns the position the new cursor starts at: just past the allocations.
    """
    FreeAddress.objects.filter(pool=pool).delete()
    addresses = pool.allocations.values_list("address", flat=True)
    held = sorted(p for p in map(pool.space.position_of, addresses) if p is not None)
    cursor, taken = _rebuilt_cursor(held), set(held)
    for start in range(0, cursor, CHUNK):
        batch = pool.space.slice(start, min(CHUNK, cursor - start))
        _insert(pool, [(p, str(a)) for p, a in batch if p not in taken])
    Pool.objects.filter(pk=pool.pk).update(swept_through=cursor)
    pool.swept_through = cursor
    return cursor


def _rebuilt_cursor(held: list[int]) -> int:
    """Just past the last held position, unless the gaps below it would exceed REBUILD_GAPS."""
    cursor = 0
    for count, position in enumerate(held):
        if position - count > REBUILD_GAPS:
            break
        cursor = position + 1
    return cursor


def _unheld(pool: Pool, batch: list) -> list[tuple[int, str]]:
    rows = [(position, str(address)) for position, address in batch]
    held = set(
        Allocation.objects.filter(pool=pool, address__in=[a for _, a in rows]).values_list(
            "address", flat=True
        )
    )
    return [row for row in rows if row[1] not in held]


def _insert(pool: Pool, rows: list[tuple[int, str]]) -> None:
    # Plain multi-row INSERTs: bulk_create would build a model instance per row, which takes
    # longer than the insert itself.
    if not rows:
        return
    table = connection.ops.quote_name(FreeAddress._meta.db_table)
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (pool_id, position, address) VALUES {values}",
            [value for position, address in rows for value in (pool.pk, position, address)],
        )
