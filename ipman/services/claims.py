"""Claiming an address for an owner: the one it holds, else the lowest free one.

The lowest free address is the lowest row of the free table (ipman.services.free), or else
the cursor's next position (ipman.services.cursor), mapped to an address by the pool's
address space. One algorithm, run the way each database makes it safe and fast:

- PostgreSQL: prepared statements, so no lock is held across a round trip, and no lock on
  anything shared at all. Each pool's statements are prepared once per session and
  settings, with the pool's constants (id, cursor, segments) written in: a claim sends only
  the owner and the note. The common case, a new owner and an empty free table, is one
  INSERT that draws from the cursor: nothing to wait for, nothing to retry (an owner that
  holds an address already is found by its ON CONFLICT, and the drawn position goes back
  to the free table). Otherwise one statement claims the lowest free row nobody else is
  claiming (FOR UPDATE SKIP LOCKED: concurrent claims take different rows instead of
  queueing), or draws from the cursor, and inserts; its ON CONFLICT DO NOTHING finds an
  owner that holds an address (the row goes back) or a free row found taken, instead of
  failing on them. A claim that meets an address reserved by hand, or whose cursor a
  settings change retired, tries again; one that loses a race with the same owner gives
  the address it drew back, so nothing is skipped.
- SQLite: one writer at a time (IMMEDIATE transactions, bearman/settings/database.py), so
  the same steps as plain queries inside one transaction are just as safe.

Underneath both, the unique constraints on (pool, address) and (pool, owner) make a second
holder of an address, or a second address for an owner, impossible.
"""

import contextlib
import weakref
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connections, transaction

from ipman.errors import PoolExhausted
from ipman.models import Allocation, FreeAddress, Pool
from ipman.selectors import pool_get
from ipman.space import MAX_POSITIONS

from .cursor import cursor_sequence
from .free import free_after_nothing, free_return, pool_lock

ALLOCATION, FREE = Allocation._meta.db_table, FreeAddress._meta.db_table
# Each pool's statements are prepared with what stays the same between its claims written
# in: %(pool)s its id, %(sequence)s its cursor's sequence (resolved once, when prepared),
# %(starts)s, %(firsts)s and %(sizes)s the segments of its address space (first position,
# first address, size; %(first)s and %(size)s when there is one). What changes per claim:
# $1 owner, $2 note.
DRAW = """
    SELECT segment.first + (drawn.position - segment.start) AS address
    FROM (SELECT nextval(%(sequence)s::regclass) AS position {gate}) AS drawn
    JOIN unnest(%(starts)s::bigint[], %(firsts)s::inet[], %(sizes)s::bigint[])
        AS segment (start, first, size)
        ON drawn.position >= segment.start AND drawn.position < segment.start + segment.size
"""
# The same for a space of one segment (no reserved addresses inside it, the common case):
# plain arithmetic, a good part cheaper than joining with the segment list.
DRAW_IN_ONE_SEGMENT = """
    SELECT %(first)s::inet + drawn.position AS address
    FROM (SELECT nextval(%(sequence)s::regclass) AS position {gate}) AS drawn
    WHERE drawn.position < %(size)s
"""
# The owner's address is checked by the insert's ON CONFLICT, not read first: a statement
# that reads the allocations it inserts into slowed down under 32 concurrent claims,
# more the longer they ran (from 1,200 to 250 a second in 45 s, against a steady 8,000
# without the read). A position drawn for an owner that turns out to hold one is returned.
FRESH_STATEMENT = f"""
WITH drawn AS (
    {{draw}}
), inserted AS (
    INSERT INTO {ALLOCATION} (pool_id, address, owner, note, created_at)
    SELECT %(pool)s, address, $1, $2, now() FROM drawn
    ON CONFLICT (pool_id, owner) DO NOTHING
    RETURNING address
)
SELECT (SELECT host(address) FROM inserted), (SELECT host(address) FROM drawn)
"""
CLAIM_STATEMENT = f"""
WITH reused AS (
    DELETE FROM {FREE} WHERE ctid = (
        SELECT ctid FROM {FREE}
        WHERE pool_id = %(pool)s
        ORDER BY position LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
    RETURNING address
), chosen AS (
    SELECT address FROM reused
    UNION ALL
    {{draw}}
), inserted AS (
    INSERT INTO {ALLOCATION} (pool_id, address, owner, note, created_at)
    SELECT %(pool)s, address, $1, $2, now() FROM chosen
    ON CONFLICT DO NOTHING
    RETURNING address
)
SELECT (SELECT host(address) FROM inserted), (SELECT host(address) FROM chosen)
"""
# When each statement draws from the cursor: the fresh one only while nothing is free.
FRESH_GATE = f"WHERE NOT EXISTS (SELECT FROM {FREE} WHERE pool_id = %(pool)s)"
CLAIM_GATE = "WHERE NOT EXISTS (SELECT FROM reused)"
# By kind, and whether the pool's space is one segment.
STATEMENTS = {
    (kind, one): statement.format(draw=(DRAW_IN_ONE_SEGMENT if one else DRAW).format(gate=gate))
    for kind, statement, gate in (
        ("fresh", FRESH_STATEMENT, FRESH_GATE),
        ("claim", CLAIM_STATEMENT, CLAIM_GATE),
    )
    for one in (True, False)
}
# A session prepares each pool's statements once per settings; past this many (pools
# deleted, settings changed) it drops them all and starts over.
PREPARED_LIMIT = 200


@dataclass
class _Session:
    """A database session's cursor and the statements prepared on it, by what they contain."""

    connection: object
    cursor: object
    statements: dict = field(default_factory=dict)


# Per database connection (thread): parsing and planning the statements anew costs more
# than running them, and opening a cursor per claim costs a good part of the claim's Python.
_sessions = weakref.WeakKeyDictionary()


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
    try:
        try:
            with _statement_savepoint(db):
                inserted, drawn = _execute(db, "fresh", pool, owner, note)
        except IntegrityError:
            return AGAIN  # the drawn address was reserved by hand meanwhile: draw again
        if inserted:
            return inserted, True
        if drawn:
            # The owner holds an address already, or won one meanwhile.
            return _lost_race(pool, owner, drawn)
        with _statement_savepoint(db):
            inserted, chosen = _execute(db, "claim", pool, owner, note)
    except DatabaseError:
        if _settings_changed(pool):
            return AGAIN  # its cursor was retired: map positions by the new settings
        raise
    if inserted:
        return inserted, True
    if chosen:
        return _lost_race(pool, owner, chosen)
    # Nothing was free, as far as this claim could see: unless the owner holds an address.
    held = _held_address(pool, owner)
    return (held, False) if held else None


def _settings_changed(pool: Pool) -> bool:
    current = Pool.objects.filter(pk=pool.pk).values_list("version", flat=True).first()
    return current != pool.version


def _execute(db, kind: str, pool: Pool, owner: str, note: str) -> tuple | None:
    """Run the pool's `kind` statement (prepared on first use) for the owner."""
    session = _session(db)
    key = (kind, pool.pk, *_pool_arguments(pool))
    name = session.statements.get(key)
    if db.queries_logged or db.execute_wrappers:
        # Django's wrapper logs the query and runs the connection's execute wrappers.
        cursor = (db.make_debug_cursor if db.queries_logged else db.make_cursor)(session.cursor)
    else:
        # The claim's hot path: the kept DB-API cursor, with Django's error translation only;
        # the wrapper's layers cost as much Python as the rest of the claim.
        cursor = session.cursor
    with db.wrap_database_errors:
        db.validate_no_broken_transaction()
        name = name or _prepare(cursor, session, key)
        cursor.execute(f"EXECUTE {name} (%s, %s)", [owner, note])
        return cursor.fetchone()


def _session(db) -> _Session:
    """This connection's session, with the DB-API cursor kept for it."""
    db.close_if_health_check_failed()
    db.ensure_connection()
    session = _sessions.get(db)
    if session is None or session.connection is not db.connection:
        session = _sessions[db] = _Session(db.connection, db.connection.cursor())
    return session


def _prepare(cursor, session: _Session, key: tuple) -> str:
    kind, pool_id, sequence, segments = key
    if len(session.statements) >= PREPARED_LIMIT:
        for old in session.statements.values():
            cursor.execute(f"DEALLOCATE {old}")
        session.statements.clear()
    name = f"ipman_{kind}_{len(session.statements)}"
    starts, firsts, sizes = zip(*segments, strict=True) if segments else ((), (), ())
    constants = dict(
        pool=pool_id,
        sequence=sequence,
        starts=_array(starts),
        firsts=_array(firsts),
        sizes=_array(sizes),
        first=str(firsts[0]) if segments else None,
        size=sizes[0] if segments else 0,
    )
    statement = STATEMENTS[kind, len(segments) == 1]
    # Fails if the sequence is gone: the pool's settings changed or the pool was deleted.
    cursor.execute(f"PREPARE {name} (varchar, varchar) AS {statement}", constants)
    session.statements[key] = name
    return name


def _pool_arguments(pool: Pool) -> tuple[str, tuple]:
    """The cursor's sequence and the space's segments, as the statements take them.

    Kept on the pool object while its settings stay the same.
    """
    space = pool.space
    cached = getattr(pool, "_claim_arguments", None)
    if cached is None or cached[0] is not space or cached[1] != pool.version:
        cached = (space, pool.version, (cursor_sequence(pool), _segments(space)))
        pool._claim_arguments = cached
    return cached[2]


def _segments(space) -> tuple[tuple[int, str, int], ...]:
    """(first position, first address, size) of each segment, cut at the 63-bit limit."""
    return tuple(
        (s.position, space.address_of(s.first), min(s.size, MAX_POSITIONS - s.position))
        for s in space.segments
        if s.position < MAX_POSITIONS
    )


def _array(values) -> str:
    return "{" + ",".join(map(str, values)) + "}"


def _statement_savepoint(db):
    # In autocommit one statement is its own transaction; inside the caller's transaction a
    # savepoint keeps a failed statement from spoiling the rest of it.
    return transaction.atomic() if db.in_atomic_block else contextlib.nullcontext()


def _lost_race(pool: Pool, owner: str, chosen: str):
    """The claimed address did not go in: the owner won one elsewhere, or it was taken."""
    held = _held_address(pool, owner)
    if not held:
        return AGAIN
    with transaction.atomic():
        # The owner asked again, or twice at once: the address this request drew goes back.
        locked = pool_lock(pool_id=pool.pk)
        if not Allocation.objects.filter(pool=locked, address=chosen).exists():
            free_return(pool=locked, address=chosen)
    return held, False


def _held_address(pool: Pool, owner: str) -> str | None:
    return (
        Allocation.objects.filter(pool=pool, owner=owner).values_list("address", flat=True).first()
    )


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
