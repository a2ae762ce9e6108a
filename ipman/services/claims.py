"""Claiming an address for an owner: the one it holds, else the lowest free one.

The lowest free address is the lowest row of the free table (ipman.services.free), or else
the cursor's next position (ipman.services.cursor), mapped to an address by the pool's
address space. One algorithm, run the way each database makes it safe and fast:

- PostgreSQL: prepared statements, so no lock is held across a round trip, and no lock on
  anything shared at all. The common case, a new owner and an empty free table, is one
  INSERT that draws from the cursor: nothing to wait for, nothing to retry. Otherwise one
  statement returns the owner's address, or claims the lowest free row nobody else is
  claiming (FOR UPDATE SKIP LOCKED: concurrent claims take different rows instead of
  queueing), or draws from the cursor, and inserts; ON CONFLICT DO NOTHING there drops a
  free row found taken instead of failing on it. A claim that meets an address reserved by
  hand, or whose cursor a settings change retired, tries again.
- SQLite: one writer at a time (IMMEDIATE transactions, bearman/settings/database.py), so
  the same steps as plain queries inside one transaction are just as safe.

Underneath both, the unique constraints on (pool, address) and (pool, owner) make a second
holder of an address, or a second address for an owner, impossible.
"""

import contextlib
import weakref

from django.db import DatabaseError, IntegrityError, connection, transaction

from ipman.errors import PoolExhausted
from ipman.models import Allocation, FreeAddress, Pool
from ipman.selectors import pool_get
from ipman.space import MAX_POSITIONS

from .cursor import cursor_sequence
from .free import free_after_nothing, free_return, pool_lock

ALLOCATION, FREE = Allocation._meta.db_table, FreeAddress._meta.db_table
# $1 pool id, $2 owner, $3 note, $4 the cursor's sequence, $5-$7 the segments of the
# pool's address space: first position, first address, size.
PARAMETERS = "bigint, varchar, varchar, text, bigint[], inet[], bigint[]"
DRAW = """
    SELECT segment.first + (drawn.position - segment.start) AS address
    FROM (SELECT nextval($4::regclass) AS position {gate}) AS drawn
    JOIN unnest($5::bigint[], $6::inet[], $7::bigint[]) AS segment (start, first, size)
        ON drawn.position >= segment.start AND drawn.position < segment.start + segment.size
"""
FRESH_STATEMENT = f"""
INSERT INTO {ALLOCATION} (pool_id, address, owner, note, created_at)
SELECT $1, address, $2, $3, now() FROM ({DRAW.format(gate="")}) AS fresh
WHERE NOT EXISTS (SELECT FROM {ALLOCATION} WHERE pool_id = $1 AND owner = $2)
    -- Written to read the (pool, position) index, even in a generic plan.
    AND (SELECT position FROM {FREE} WHERE pool_id = $1 ORDER BY pool_id, position LIMIT 1)
        IS NULL
RETURNING host(address)
"""
CLAIM_STATEMENT = f"""
WITH held AS (
    SELECT address FROM {ALLOCATION} WHERE pool_id = $1 AND owner = $2
), reused AS (
    DELETE FROM {FREE} WHERE ctid = (
        SELECT ctid FROM {FREE}
        WHERE pool_id = $1 AND NOT EXISTS (SELECT FROM held)
        ORDER BY pool_id, position LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
    RETURNING address
), chosen AS (
    SELECT address FROM reused
    UNION ALL
    {DRAW.format(gate="WHERE NOT EXISTS (SELECT FROM held) AND NOT EXISTS (SELECT FROM reused)")}
), inserted AS (
    INSERT INTO {ALLOCATION} (pool_id, address, owner, note, created_at)
    SELECT $1, address, $2, $3, now() FROM chosen
    ON CONFLICT DO NOTHING
    RETURNING address
)
SELECT (SELECT host(address) FROM held), (SELECT host(address) FROM inserted),
       (SELECT host(address) FROM chosen)
"""
STATEMENTS = {"ipman_fresh": FRESH_STATEMENT, "ipman_claim": CLAIM_STATEMENT}

# Database sessions on which STATEMENTS are prepared: parsing and planning them anew costs
# more than running them.
_prepared_on = weakref.WeakSet()


# A claim's outcome when it must run again: the same owner won an address meanwhile, or the
# claim drew an address reserved by hand, found a free row already taken, or mapped
# positions by settings that have since changed.
AGAIN = "again"


def claim_address(*, pool: Pool, owner: str, note: str) -> tuple[str, bool]:
    """(address, created): the owner's address in `pool`, or a newly claimed one."""
    claim = _claim_postgresql if connection.vendor == "postgresql" else _claim_in_one_transaction
    while True:
        outcome = claim(pool, owner, note)
        if outcome == AGAIN:
            pool = pool_get(pool=pool.pk)
        elif outcome is not None:
            return outcome
        elif not free_after_nothing(pool_id=pool.pk):
            raise PoolExhausted(
                f"Pool {pool.name} ({pool.network}) is full: all {pool.space.total:,} of its "
                "addresses are allocated."
            )


def _claim_postgresql(pool: Pool, owner: str, note: str):
    arguments = [pool.pk, owner, note, cursor_sequence(pool), *_segments(pool)]
    try:
        with _statement_savepoint():
            fresh = _execute("ipman_fresh", arguments)
        if fresh:
            return fresh[0], True
        with _statement_savepoint():
            held, inserted, chosen = _execute("ipman_claim", arguments)
    except IntegrityError:
        # The same owner won an address meanwhile, or the drawn one was reserved by hand:
        # the next attempt finds the owner's address, or draws the next one.
        return AGAIN
    except DatabaseError:
        if _settings_changed(pool):
            return AGAIN  # its cursor was retired: map positions by the new settings
        raise
    if held or inserted:
        return (held, False) if held else (inserted, True)
    if chosen:
        return _lost_race(pool, owner, chosen)
    return None  # nothing free, as far as this claim could see


def _settings_changed(pool: Pool) -> bool:
    current = Pool.objects.filter(pk=pool.pk).values_list("version", flat=True).first()
    return current != pool.version


def _execute(name: str, arguments: list) -> tuple | None:
    with connection.cursor() as cursor:
        session = connection.connection
        if session not in _prepared_on:
            for statement_name, statement in STATEMENTS.items():
                cursor.execute(f"PREPARE {statement_name} ({PARAMETERS}) AS {statement}")
            _prepared_on.add(session)
        cursor.execute(f"EXECUTE {name} (%s, %s, %s, %s, %s, %s::inet[], %s)", arguments)
        return cursor.fetchone()


def _segments(pool: Pool) -> tuple[list[int], list[str], list[int]]:
    """The space's segments as the statements take them, cut at the 63-bit position limit."""
    segments = [s for s in pool.space.segments if s.position < MAX_POSITIONS]
    return (
        [s.position for s in segments],
        [str(pool.space.address_of(s.first)) for s in segments],
        [min(s.size, MAX_POSITIONS - s.position) for s in segments],
    )


def _statement_savepoint():
    # In autocommit one statement is its own transaction; inside the caller's transaction a
    # savepoint keeps a failed statement from spoiling the rest of it.
    return transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()


def _lost_race(pool: Pool, owner: str, chosen: str):
    """The claimed address did not go in: the owner won one elsewhere, or it was taken."""
    held = Allocation.objects.filter(pool=pool, owner=owner).values_list("address", flat=True)
    if not held:
        return AGAIN
    with transaction.atomic():
        # The same owner asked twice at once; the address this request drew goes back.
        locked = pool_lock(pool_id=pool.pk)
        if not Allocation.objects.filter(pool=locked, address=chosen).exists():
            free_return(pool=locked, address=chosen)
    return held[0], False


def _claim_in_one_transaction(pool: Pool, owner: str, note: str):
    with transaction.atomic():
        pool = pool_lock(pool_id=pool.pk)
        held = Allocation.objects.filter(pool=pool, owner=owner).first()
        if held:
            return held.address, False
        while (address := _reuse(pool) or _draw(pool)) is not None:
            if not Allocation.objects.filter(pool=pool, address=address).exists():
                Allocation.objects.create(pool=pool, address=address, owner=owner, note=note)
                return address, True
    return None


def _reuse(pool: Pool) -> str | None:
    free = FreeAddress.objects.filter(pool=pool).order_by("position").first()
    if free is None:
        return None
    free.delete()
    return free.address


def _draw(pool: Pool) -> str | None:
    position = pool.next_position
    if position >= pool.space.positions:
        return None
    # The cursor moves inside this transaction, so no position is ever lost: swept too.
    pool.next_position = pool.swept_through = position + 1
    Pool.objects.filter(pk=pool.pk).update(next_position=position + 1, swept_through=position + 1)
    return str(pool.space.address_at(position))
