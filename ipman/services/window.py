"""The free-address window: each pool's next free addresses, ready to be claimed.

A pool's free addresses are FreeAddress rows, claimed lowest position first with
SELECT … FOR UPDATE SKIP LOCKED (ipman.services.claims), so concurrent allocations from one
pool each take a different row and never queue behind each other. Writing out every address
up front is impossible for IPv6 (a /64 has 2^64), so a pool's table holds a window: every
free position up to `Pool.materialized_through`. The first claim to reach `Pool.refill_at`,
the start of the newest batch, adds the next batch while the others keep claiming, so a
batch of free addresses is always ahead; a claim that finds none adds one itself.

Claimed rows are deleted, and PostgreSQL keeps their index entries until VACUUM: a search
from the pool's first position would wade through every address ever handed out. Claims
start at `Pool.free_from` instead, which no free row lies below; each extension moves it up.
So an allocation costs the same in an empty pool and in a full /16.

Every change to a window holds its pool's row lock, FOR NO KEY UPDATE (the foreign-key checks
of allocations in flight take FOR KEY SHARE, which it lets through): extensions, releases,
reservations and settings changes of one pool take turns; other pools are not touched.
"""

from django.conf import settings
from django.db import connection, transaction

from ipman.errors import PoolNotFound
from ipman.models import Allocation, FreeAddress, Pool

DEFAULT_BATCH = 1024
INSERT_CHUNK = 2000


def window_batch() -> int:
    """How many positions one extension of a window covers (IPMAN_WINDOW_BATCH)."""
    return getattr(settings, "IPMAN_WINDOW_BATCH", DEFAULT_BATCH)


def pool_lock(*, pool_id: int) -> Pool:
    """Fetch the pool and lock its row until the transaction ends; PoolNotFound if it is gone."""
    pool = Pool.objects.select_for_update(no_key=True).filter(pk=pool_id).first()
    if pool is None:
        raise PoolNotFound(f"Pool {pool_id} does not exist (any more).")
    return pool


def window_extend(*, pool: Pool) -> int:
    """Add the next batch of free addresses to a locked pool's window; returns how many."""
    space, start, rows = pool.space, pool.materialized_through + 1, []
    # After a settings change, whole batches may already be allocated: move on past them.
    while not rows and start < space.positions:
        batch = space.slice(start, window_batch())
        rows = _free_rows(pool, batch)
        start = batch[-1][0] + 1
    _insert_free_rows(pool, rows)
    lowest = _lowest_free_position(pool)
    _save_window(
        pool,
        materialized_through=start - 1,
        free_from=pool.free_from if lowest is None else lowest,
        refill_at=rows[0][0] if rows and start < space.positions else None,
    )
    return len(rows)


def window_clear(*, pool: Pool) -> None:
    """Empty a locked pool's window; claims in flight finish first, new ones find nothing."""
    FreeAddress.objects.filter(pool=pool).delete()
    _save_window(pool, materialized_through=-1, free_from=0, refill_at=None)


def window_return(*, pool: Pool, address: str) -> None:
    """Put a released address of a locked pool back among its free addresses."""
    position = pool.space.position_of(address)
    # Past the window (or no longer handed out): a later extension or nobody picks it up.
    if position is None or position > pool.materialized_through:
        return
    FreeAddress.objects.create(pool=pool, position=position, address=address)
    if position < pool.free_from:
        _save_window(pool, free_from=position)


def window_refill(*, pool_id: int) -> bool:
    """After a claim found nothing: is there, or can there be, a free address? False if full."""
    with transaction.atomic():
        pool = pool_lock(pool_id=pool_id)
        # Blocks until the claims in flight end: their rows are gone, or free again.
        free = FreeAddress.objects.select_for_update().filter(
            pool=pool, position__gte=pool.free_from
        )
        if free.order_by("position").first():
            return True
        return window_extend(pool=pool) > 0


def window_prefetch(*, pool_id: int, position: int) -> None:
    """A claim reached `position`: the first one past the pool's refill mark extends it."""
    # Clearing the mark elects exactly one claimer; the others carry on claiming.
    if Pool.objects.filter(pk=pool_id, refill_at__lte=position).update(refill_at=None):
        with transaction.atomic():
            window_extend(pool=pool_lock(pool_id=pool_id))


def _free_rows(pool: Pool, batch: list) -> list[tuple[int, str]]:
    """The (position, address) pairs of `batch` nobody holds."""
    rows = [(position, str(address)) for position, address in batch]
    addresses = [address for _, address in rows]
    taken = Allocation.objects.filter(pool=pool, address__in=addresses)
    held = set(taken.values_list("address", flat=True))
    return [row for row in rows if row[1] not in held]


def _insert_free_rows(pool: Pool, rows: list[tuple[int, str]]) -> None:
    # Plain multi-row INSERTs: bulk_create would build a model instance per row, which takes
    # longer than the insert itself. Chunks stay under SQLite's limit on parameters.
    table = connection.ops.quote_name(FreeAddress._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} (pool_id, position, address) VALUES {values}",
                [value for position, address in chunk for value in (pool.pk, position, address)],
            )


def _lowest_free_position(pool: Pool) -> int | None:
    rows = FreeAddress.objects.filter(pool=pool, position__gte=pool.free_from)
    return rows.order_by("position").values_list("position", flat=True).first()


def _save_window(pool: Pool, **window) -> None:
    for field, value in window.items():
        setattr(pool, field, value)
    Pool.objects.filter(pk=pool.pk).update(**window)
