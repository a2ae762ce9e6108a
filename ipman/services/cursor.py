"""Each pool's cursor: the position of the next address never handed out.

Fresh addresses come from the cursor, in order; addresses given back sit in the free table
below it (ipman.services.free) and go out first, so the lowest free address always comes
first and nothing is written per address ahead of time (an IPv6 /64 has 2^64 of them).

PostgreSQL keeps the cursor in a sequence per pool, `ipman_cursor_<id>`: nextval() never
waits for another transaction, so concurrent allocations from one pool draw different
positions with no row lock at all. A sequence does not roll back, so a position drawn by a
transaction that rolls back is skipped; the sweep in ipman.services.free finds it again.
SQLite runs one writer at a time, so there the cursor is a column of the pool, moved by the
allocating transaction itself, and nothing is ever skipped.
"""

from django.db import connection

from ipman.models import Pool


def cursor_sequence(pool_id: int) -> str:
    """The name of a pool's PostgreSQL sequence."""
    return f"ipman_cursor_{pool_id}"


def cursor_create(*, pool: Pool) -> None:
    """Start a new pool's cursor at position 0."""
    if _uses_sequence():
        name = connection.ops.quote_name(cursor_sequence(pool.pk))
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SEQUENCE IF EXISTS {name}")
            cursor.execute(f"CREATE SEQUENCE {name} MINVALUE 0 START WITH 0")


def cursor_drop(*, pool: Pool) -> None:
    """Remove a deleted pool's cursor."""
    if _uses_sequence():
        name = connection.ops.quote_name(cursor_sequence(pool.pk))
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SEQUENCE IF EXISTS {name}")


def cursor_position(*, pool: Pool) -> int:
    """The next position the cursor will hand out."""
    if not _uses_sequence():
        return Pool.objects.values_list("next_position", flat=True).get(pk=pool.pk)
    name = connection.ops.quote_name(cursor_sequence(pool.pk))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_value, is_called FROM {name}")
        last, called = cursor.fetchone()
    return last + 1 if called else last


def cursor_move(*, pool: Pool, position: int) -> None:
    """Make `position` the next one the cursor hands out."""
    if not _uses_sequence():
        Pool.objects.filter(pk=pool.pk).update(next_position=position)
        pool.next_position = position
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(%s, %s, false)", [cursor_sequence(pool.pk), position])


def _uses_sequence() -> bool:
    return connection.vendor == "postgresql"
