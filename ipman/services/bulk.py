"""Allocating for many owners at once: the same answers as one ip_allocate per owner.

A caller serving many requests in one transaction (Bearman's registration batches) asks
for all their addresses in one call. On PostgreSQL the common case costs four statements
(in a savepoint) whatever the number of owners, with the ideas of ipman.services.claims:
the owners' held addresses in one read; the lowest free rows nobody else is claiming
(FOR UPDATE SKIP LOCKED); fresh positions from the pool's cursor sequence, which never
waits for another transaction; one INSERT of every new row, ON CONFLICT DO NOTHING, in
owner order. When that cannot settle every owner (the cursor reached the end of the pool
or was retired by a settings change, an owner won an address meanwhile, an address was
reserved by hand or taken by a claim racing the sweep), the savepoint is rolled back and
every owner goes through claim_address in turn, which knows what to do in each case,
under the pool's lock. Positions drawn by a rolled-back attempt are skipped until the
sweep offers them again, as after any rollback (ipman.services.cursor). SQLite has one
writer at a time: there every owner goes through claim_address.

The unique constraints on (pool, address) and (pool, owner) stay the guarantee underneath.
"""

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from ipman.assignment import Assignment
from ipman.errors import PoolExhausted, PoolNotFound
from ipman.models import Allocation, FreeAddress, Pool, PoolPurpose
from ipman.selectors import pool_get
from ipman.validators import clean_note, clean_owner

from .allocations import ip_allocate_for
from .claims import claim_address
from .cursor import cursor_sequence
from .free import free_prune, pool_lock

ALLOCATION, FREE = Allocation._meta.db_table, FreeAddress._meta.db_table
POOLS_SERVING = f"""
SELECT * FROM {Pool._meta.db_table} WHERE purpose = %s AND availability_zone = %s ORDER BY name
"""
HELD = f"SELECT owner, host(address) FROM {ALLOCATION} WHERE pool_id = %s AND owner = ANY(%s)"
# The lowest free rows no concurrent claim holds, taken out of the free table.
REUSE = f"""
DELETE FROM {FREE} WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM {FREE} WHERE pool_id = %s ORDER BY position LIMIT %s
    FOR UPDATE SKIP LOCKED
))
RETURNING position, host(address)
"""
# NULLs, not an error, when a settings change has retired the cursor (dropped the sequence).
DRAW = "SELECT nextval(to_regclass(%s)) FROM generate_series(1, %s)"
INSERT = f"""
INSERT INTO {ALLOCATION} (pool_id, address, owner, note, created_at)
SELECT %s, chosen.address, chosen.owner, %s, now()
FROM unnest(%s::inet[], %s::varchar[]) AS chosen (address, owner)
ON CONFLICT DO NOTHING
"""


def ip_allocate_many(
    *, pool: Pool | int | str, owners: list[str], note: str = ""
) -> list[Assignment]:
    """Each owner's address in `pool`, in the order of `owners`: held, else the lowest free.

    All or nothing: PoolExhausted (or any error) leaves no new allocation behind.
    """
    pool = pool_get(pool=pool)
    cleaned, note = [clean_owner(owner) for owner in owners], clean_note(note)
    addresses = _claim_many(pool, list(dict.fromkeys(cleaned)), note)
    return [
        Assignment.of(
            pool=pool, address=addresses[owner][0], owner=owner, created=addresses[owner][1]
        )
        for owner in cleaned
    ]


def ip_allocate_many_for(
    *, purpose: PoolPurpose | str, availability_zone: str, owners: list[str], note: str = ""
) -> list[Assignment]:
    """ip_allocate_for for each owner, in one go: the zone's pools serving `purpose`, by name."""
    if purpose not in PoolPurpose.values:
        choices = ", ".join(PoolPurpose.values)
        raise ValidationError({"purpose": f"{purpose!r} is not a purpose ({choices})."})
    cleaned = [clean_owner(owner) for owner in owners]
    # A raw read: Django's query compiler costs more than the query, once per batch.
    pools = list(Pool.objects.raw(POOLS_SERVING, [purpose, availability_zone]))
    if not pools:
        raise PoolNotFound(f"No {purpose} pool serves availability zone {availability_zone}.")
    if len(pools) == 1:  # the common case: that pool's own lookup finds the held ones
        try:
            return ip_allocate_many(pool=pools[0], owners=cleaned, note=note)
        except PoolExhausted:
            raise _zone_full(purpose, availability_zone, pools) from None
    by_id, by_owner = {pool.pk: pool for pool in pools}, {}
    held = Allocation.objects.filter(pool__in=pools, owner__in=cleaned).order_by("pk")
    for owner, pool_id, address in held.values_list("owner", "pool_id", "address"):
        assignment = Assignment.of(pool=by_id[pool_id], address=address, owner=owner, created=False)
        by_owner.setdefault(owner, assignment)
    new = [owner for owner in dict.fromkeys(cleaned) if owner not in by_owner]
    if new:
        by_owner.update(_allocate_new(pools, new, purpose, availability_zone, note))
    return [by_owner[owner] for owner in cleaned]


def _allocate_new(pools, owners, purpose, availability_zone, note) -> dict[str, Assignment]:
    try:
        assignments = ip_allocate_many(pool=pools[0], owners=owners, note=note)
    except PoolExhausted:
        # The first pool may have room for some of them: fill it, then the next, as one by
        # one would (ip_allocate_for says when every pool is full).
        assignments = [
            ip_allocate_for(
                purpose=purpose, availability_zone=availability_zone, owner=owner, note=note
            )
            for owner in owners
        ]
    return {assignment.owner: assignment for assignment in assignments}


def _zone_full(purpose: str, availability_zone: str, pools: list[Pool]) -> PoolExhausted:
    names = ", ".join(pool.name for pool in pools)
    return PoolExhausted(
        f"Every {purpose} pool of availability zone {availability_zone} is full ({names})."
    )


def _claim_many(pool: Pool, owners: list[str], note: str) -> dict[str, tuple[str, bool]]:
    """{owner: (address, created)} for distinct owners, all or nothing (a savepoint)."""
    on_postgresql = connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
    if on_postgresql:
        try:
            with transaction.atomic():
                return _claim_together(pool, owners, note)
        except _NotTogether:
            pass  # rolled back: the free rows it took are free again, and no longer locked
    try:
        with transaction.atomic():
            if on_postgresql:
                # One by one, taking turns with the pool's other writers: a claim that finds
                # nothing waits for the claims in flight (free_after_nothing), and this call
                # holds no free row another one could be waiting for.
                pool_lock(pool_id=pool.pk)
            return {owner: claim_address(pool=pool, owner=owner, note=note) for owner in owners}
    except PoolExhausted:
        free_prune(pool_id=pool.pk)  # the rows its claims found taken are back: drop them
        raise


class _NotTogether(Exception):
    """The set-based claim could not settle every owner."""


def _claim_together(pool: Pool, owners: list[str], note: str) -> dict:
    """Every owner's address from the set-based statements, or _NotTogether."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(HELD, [pool.pk, owners])
        found = {owner: (address, False) for owner, address in cursor.fetchall()}
        new = [owner for owner in owners if owner not in found]
        if not new:
            return found
        chosen = _lowest_free(cursor, pool, len(new))
        if len(chosen) < len(new):
            raise _NotTogether  # the end of the pool, or a cursor retired meanwhile
        # In owner order: two claims inserting the same owners wait for each other in turn.
        pairs = sorted(zip(new, chosen, strict=True))
        cursor.execute(INSERT, [pool.pk, note, [a for _, a in pairs], [o for o, _ in pairs]])
        if cursor.rowcount < len(pairs):
            raise _NotTogether  # an owner won an address meanwhile, or an address was taken
    found.update((owner, (address, True)) for owner, address in pairs)
    return found


def _lowest_free(cursor, pool: Pool, count: int) -> list[str]:
    """Up to `count` addresses, lowest first: free rows, then the cursor's next positions."""
    cursor.execute(REUSE, [pool.pk, count])
    chosen = [address for _, address in sorted(cursor.fetchall())]
    if len(chosen) < count:
        cursor.execute(DRAW, [cursor_sequence(pool), count - len(chosen)])
        space = pool.space
        drawn = sorted(row[0] for row in cursor.fetchall() if row[0] is not None)
        chosen += [str(space.address_at(p)) for p in drawn if p < space.positions]
    return chosen
