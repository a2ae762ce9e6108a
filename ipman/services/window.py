"""The free-address window: each pool's next free addresses, ready to be claimed.

A pool's free addresses are FreeAddress rows, claimed lowest position first with
SELECT … FOR UPDATE SKIP LOCKED (ipman.services.claims), so concurrent allocations from one
pool each take a different row and never queue behind each other. Writing out every address
up front is impossible for IPv6 (a /64 has 2^64), so a pool's table holds a window: every
free position up to `Pool.materialized_through`. The first claim at or past `Pool.refill_at`
(halfway through the last batch) extends the window by a batch while the others keep
claiming; a claim that finds nothing extends it itself. The cost of an allocation therefore
depends on the batch size, never on how full the pool is.

Every change to a window holds its pool's row lock, FOR NO KEY UPDATE (the foreign-key checks
of allocations in flight take FOR KEY SHARE, which it lets through): extensions, releases,
reservations and settings changes of one pool take turns; other pools are not touched.
"""

from django.conf import settings
from django.db import transaction

from ipman.errors import PoolNotFound
from ipman.models import Allocation, FreeAddress, Pool

DEFAULT_BATCH = 1024


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
    FreeAddress.objects.bulk_create(rows)
    pool.materialized_through = start - 1
    more_to_come = start < space.positions
    pool.refill_at = rows[len(rows) // 2].position if rows and more_to_come else None
    Pool.objects.filter(pk=pool.pk).update(
        materialized_through=pool.materialized_through, refill_at=pool.refill_at
    )
    return len(rows)


def window_clear(*, pool: Pool) -> None:
    """Empty a locked pool's window; claims in flight finish first, new ones find nothing."""
    FreeAddress.objects.filter(pool=pool).delete()
    pool.materialized_through, pool.refill_at = -1, None
    Pool.objects.filter(pk=pool.pk).update(materialized_through=-1, refill_at=None)


def window_return(*, pool: Pool, address: str) -> None:
    """Put a released address of a locked pool back among its free addresses."""
    position = pool.space.position_of(address)
    # Past the window (or no longer handed out): a later extension or nobody picks it up.
    if position is not None and position <= pool.materialized_through:
        FreeAddress.objects.create(pool=pool, position=position, address=address)


def window_refill(*, pool_id: int) -> bool:
    """After a claim found nothing: is there, or can there be, a free address? False if full."""
    with transaction.atomic():
        pool = pool_lock(pool_id=pool_id)
        # Blocks until the claims in flight end: their rows are gone, or free again.
        if FreeAddress.objects.select_for_update().filter(pool=pool).order_by("position").first():
            return True
        return window_extend(pool=pool) > 0


def window_prefetch(*, pool_id: int, position: int) -> None:
    """A claim reached `position`: the first one past the pool's refill mark extends it."""
    # Clearing the mark elects exactly one claimer; the others carry on claiming.
    if Pool.objects.filter(pk=pool_id, refill_at__lte=position).update(refill_at=None):
        with transaction.atomic():
            window_extend(pool=pool_lock(pool_id=pool_id))


def _free_rows(pool: Pool, batch: list) -> list[FreeAddress]:
    addresses = [str(address) for _, address in batch]
    taken = set(
        Allocation.objects.filter(pool=pool, address__in=addresses).values_list(
            "address", flat=True
        )
    )
    return [
        FreeAddress(pool=pool, position=position, address=str(address))
        for position, address in batch
        if str(address) not in taken
    ]
