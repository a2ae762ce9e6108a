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

from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connections, transaction

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
EXECUTE = {name: f"EXECUTE {name} (%s, %s, %s, %s, %s, %s, %s)" for name in STATEMENTS}

# Database sessions on which STATEMENTS are prepared: parsing and planning them anew costs
# more than running them.
_prepared_on = weakref.WeakSet()


# A claim's outcome when it must run again: the same owner won an address meanwhile, or the
# claim drew an address reserved by hand, found a free row already taken, or mapped
# positions by settings that have since changed.
AGAIN = "again"


def claim_address(*, pool: Pool, owner: str, note: str) -> tuple[str, bool]:
    """(address, created): the owner's address in `pool`, or a newly claimed one."""
    db = connections[DEFAULT_DB_ALIAS]
    claim = _claim_postgresql if db.vendor == "postgresql" else _claim_in_one_transaction
    while True:
        outcome = claim(db, pool, owner, note)
        if outcome == AGAIN:
            pool = pool_get(pool=pool.pk)
        elif outcome is not None:
            return outcome
        elif not free_after_nothing(pool_id=pool.pk):
            raise PoolExhausted(
                f"Pool {pool.name} ({pool.network}) is full: all {pool.space.total:,} of its "
                "addresses are allocated."
            )


def _claim_postgresql(db, pool: Pool, owner: str, note: str):
    arguments = [pool.pk, owner, note, *_pool_arguments(pool)]
    try:
        with _statement_savepoint(db):
            fresh = _execute(db, "ipman_fresh", arguments)
        if fresh:
            return fresh[0], True
        with _statement_savepoint(db):
            held, inserted, chosen = _execute(db, "ipman_claim", arguments)
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


def _execute(db, name: str, arguments: list) -> tuple | None:
    with db.cursor() as cursor:
        session = db.connection
        if session not in _prepared_on:
            for statement_name, statement in STATEMENTS.items():
                cursor.execute(f"PREPARE {statement_name} ({PARAMETERS}) AS {statement}")
            _prepared_on.add(session)
        cursor.execute(EXECUTE[name], arguments)
        return cursor.fetchone()


def _pool_arguments(pool: Pool) -> tuple[str, str, str, str]:
    """The cursor's sequence and the space's segments, as the statements take them.

    Kept on the pool object while its settings stay the same: building them costs more
    than sending them, and the arrays go as PostgreSQL array text, which the driver passes
    on as it is instead of adapting a Python list element by element.
    """
    space = pool.space
    cached = getattr(pool, "_claim_arguments", None)
    if cached is None or cached[0] is not space or cached[1] != pool.version:
        cached = (space, pool.version, (cursor_sequence(pool), *_segments(space)))
        pool._claim_arguments = cached
    return cached[2]


def _segments(space) -> tuple[str, str, str]:
    """Positions, first addresses and sizes of the segments, cut at the 63-bit limit."""
    segments = [s for s in space.segments if s.position < MAX_POSITIONS]
    columns = (
        [s.position for s in segments],
        [space.address_of(s.first) for s in segments],
        [min(s.size, MAX_POSITIONS - s.position) for s in segments],
    )
    return tuple("{" + ",".join(map(str, column)) + "}" for column in columns)


def _statement_savepoint(db):
    # In autocommit one statement is its own transaction; inside the caller's transaction a
    # savepoint keeps a failed statement from spoiling the rest of it.
    return transaction.atomic() if db.in_atomic_block else contextlib.nullcontext()


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


def _claim_in_one_transaction(db, pool: Pool, owner: str, note: str):
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
