"""Claiming an address for an owner: the owner's own, else the pool's lowest free one.

One algorithm, run the way each database makes it safe and fast:

- PostgreSQL: a single prepared statement, so no row stays locked across a round trip. It
  returns the owner's address if the owner has one; otherwise it deletes the lowest free
  row nobody else is claiming (FOR UPDATE SKIP LOCKED: concurrent claims take different
  rows instead of queueing) and inserts the allocation, atomically. When nothing is free it
  waits for the claims in flight and extends the window (ipman.services.window).
- SQLite: one writer at a time (IMMEDIATE transactions, bearman/settings/database.py), so
  the same steps as plain queries inside one transaction are just as safe.

Underneath both, the unique constraints on (pool, address) and (pool, owner) make a second
holder of an address, or a second address for an owner, impossible.
"""

import contextlib
import weakref

from django.db import IntegrityError, connection, transaction

from ipman.errors import PoolExhausted
from ipman.models import Allocation, FreeAddress, Pool

from .window import pool_lock, window_extend, window_prefetch, window_refill

ALLOCATION, FREE, POOL = (model._meta.db_table for model in (Allocation, FreeAddress, Pool))
CLAIM_STATEMENT = f"""
WITH pool AS (
    SELECT free_from, refill_at FROM {POOL} WHERE id = $1
), held AS (
    SELECT address FROM {ALLOCATION} WHERE pool_id = $1 AND owner = $2
), claimed AS (
    DELETE FROM {FREE} WHERE ctid = (
        SELECT ctid FROM {FREE}
        WHERE pool_id = $1 AND position >= (SELECT free_from FROM pool)
            AND NOT EXISTS (SELECT FROM held)
        ORDER BY position LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
    RETURNING position, address
), inserted AS (
    INSERT INTO {ALLOCATION} (pool_id, address, owner, note, created_at)
    SELECT $1, address, $2, $3, now() FROM claimed
    RETURNING address
)
SELECT (SELECT host(address) FROM held), (SELECT host(address) FROM inserted),
       (SELECT position FROM claimed), (SELECT refill_at FROM pool)
"""

# Database sessions on which CLAIM_STATEMENT is prepared: parsing and planning it anew
# costs more than running it.
_prepared_on = weakref.WeakSet()


def claim_address(*, pool: Pool, owner: str, note: str) -> tuple[str, bool]:
    """(address, created): the owner's address in `pool`, or a newly claimed one."""
    if connection.vendor == "postgresql":
        return _claim_postgresql(pool, owner, note)
    return _claim_in_one_transaction(pool, owner, note)


def _claim_postgresql(pool: Pool, owner: str, note: str) -> tuple[str, bool]:
    while True:
        try:
            with _statement_savepoint():
                held, address, position, refill_at = _run_claim_statement(pool.pk, owner, note)
        except IntegrityError as error:
            return _winner_of_race(pool, owner, error), False
        if held:
            return held, False
        if address:
            # Not inside the caller's transaction, which would hold the pool's lock until it
            # ends; a claim that finds the window empty extends it anyway.
            if refill_at is not None and position >= refill_at and not connection.in_atomic_block:
                window_prefetch(pool_id=pool.pk, position=position)
            return address, True
        if not window_refill(pool_id=pool.pk):
            raise _exhausted(pool)


def _run_claim_statement(pool_id: int, owner: str, note: str) -> tuple:
    with connection.cursor() as cursor:
        session = connection.connection
        if session not in _prepared_on:
            cursor.execute(f"PREPARE ipman_claim (bigint, varchar, varchar) AS {CLAIM_STATEMENT}")
            _prepared_on.add(session)
        cursor.execute("EXECUTE ipman_claim (%s, %s, %s)", [pool_id, owner, note])
        return cursor.fetchone()


def _statement_savepoint():
    # In autocommit one statement is its own transaction; inside the caller's transaction a
    # savepoint keeps a failed statement from spoiling the rest of it.
    return transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()


def _winner_of_race(pool: Pool, owner: str, error: IntegrityError) -> str:
    # The same owner asked twice at once: the other request's allocation stands.
    held = Allocation.objects.filter(pool=pool, owner=owner).values_list("address", flat=True)
    if not held:
        raise error  # not the owner constraint: nothing to recover from here
    return held[0]


def _claim_in_one_transaction(pool: Pool, owner: str, note: str) -> tuple[str, bool]:
    with transaction.atomic():
        held = Allocation.objects.filter(pool=pool, owner=owner).first()
        if held:
            return held.address, False
        free = _lowest_free(pool)
        if free is None and window_extend(pool=pool_lock(pool_id=pool.pk)):
            free = _lowest_free(pool)
        if free is None:
            raise _exhausted(pool)
        free.delete()
        Allocation.objects.create(pool=pool, address=free.address, owner=owner, note=note)
        return free.address, True


def _lowest_free(pool: Pool) -> FreeAddress | None:
    return FreeAddress.objects.filter(pool=pool).order_by("position").first()


def _exhausted(pool: Pool) -> PoolExhausted:
    return PoolExhausted(
        f"Pool {pool.name} ({pool.network}) is full: all {pool.space.total:,} of its addresses "
        "are allocated."
    )
