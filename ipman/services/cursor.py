"""Each pool's cursor: the position of the next address never handed out.

Fresh addresses come from the cursor, in order; addresses given back sit in the free table
below it (ipman.services.free) and go out first, so the lowest free address always comes
first and nothing is written per address ahead of time (an IPv6 /64 has 2^64 of them).

PostgreSQL keeps the cursor in a sequence, `ipman_cursor_<pool id>_<settings version>`:
nextval() never waits for another transaction, so concurrent allocations from one pool
draw different positions with no lock on anything shared. A claim holds its sequence
(RowExclusiveLock) until it commits, so retiring a cursor, which drops the sequence, waits
for every claim that drew from it; a claim that comes later finds the sequence gone and
starts over with the pool's new settings and cursor. A sequence does not roll back: a
position drawn by a transaction that rolls back is skipped, and the sweep finds it again.

SQLite runs one writer at a time, so its cursor is a column of the pool, moved by the
allocating transaction itself; nothing is skipped and nothing needs retiring.
"""

from django.db import connection

from ipman.models import Pool


def cursor_sequence(pool: Pool) -> str:
    """The name of the PostgreSQL sequence behind the pool's current settings."""
    return f"ipman_cursor_{pool.pk}_{pool.version}"


def cursor_create(*, pool: Pool, position: int = 0) -> None:
    """Start the cursor of a new pool, or of new settings, at `position`."""
    if not _uses_sequence():
        Pool.objects.filter(pk=pool.pk).update(next_position=position)
        pool.next_position = position
        return
    name = connection.ops.quote_name(cursor_sequence(pool))
    with connection.cursor() as cursor:
        # A leftover of a pool deleted behind IPman's back must not stop a new one.
        cursor.execute(f"DROP SEQUENCE IF EXISTS {name}")
        cursor.execute(f"CREATE SEQUENCE {name} MINVALUE 0 START WITH {int(position)}")


def cursor_retire(*, pool: Pool) -> None:
    """End the cursor of the pool's current settings, once the claims drawing from it end."""
    if _uses_sequence():
        name = connection.ops.quote_name(cursor_sequence(pool))
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SEQUENCE IF EXISTS {name}")


def cursor_position(*, pool: Pool) -> int:
    """The next position the cursor will hand out."""
    if not _uses_sequence():
        return Pool.objects.values_list("next_position", flat=True).get(pk=pool.pk)
    name = connection.ops.quote_name(cursor_sequence(pool))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_value, is_called FROM {name}")
        last, called = cursor.fetchone()
    return last + 1 if called else last


def _uses_sequence() -> bool:
    return connection.vendor == "postgresql"
