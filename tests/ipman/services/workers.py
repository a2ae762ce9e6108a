"""What the concurrency tests run in separate processes, each on its own database connection.

Spawned interpreters import this module before Django is set up: Django is imported inside
the functions only.
"""

import os
import time


def start(database_name: str) -> None:
    """Process initializer: set Django up and point it at the test database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bearman.settings")
    import django

    django.setup()
    from django.db import connection

    connection.settings_dict["NAME"] = database_name


def ready(barrier) -> int:
    """Touch the database, then wait for every other process: all are up before a race.

    A process waiting at the barrier takes no other call, so each process answers once
    however slowly the others start on a busy machine.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    barrier.wait(timeout=240)
    return os.getpid()


def allocate_until_full(pool_id: int, worker: int, start_at: float) -> dict:
    """Allocate new owners until refused, then ask three times more; report every answer."""
    from ipman.errors import PoolExhausted
    from ipman.services import ip_allocate

    _wait_for(start_at)
    allocated, after_full = {}, []
    while len(after_full) < 4:
        owner = f"worker/{worker}/{len(allocated) + len(after_full)}"
        try:
            address = ip_allocate(pool=pool_id, owner=owner).address
        except PoolExhausted:
            after_full.append("PoolExhausted")
            continue
        if after_full:
            after_full.append(address)  # handed out after a refusal: the test reports it
        else:
            allocated[owner] = address
    return {"allocated": allocated, "after_full": after_full}


def allocate_as(pool_id: int, owner: str, start_at: float) -> tuple[str, bool]:
    """One allocation for `owner`, started at `start_at` like its rivals'."""
    from ipman.services import ip_allocate

    _wait_for(start_at)
    assignment = ip_allocate(pool=pool_id, owner=owner)
    return assignment.address, assignment.created


def _wait_for(start_at: float) -> None:
    time.sleep(max(0.0, start_at - time.time()))


def allocate_and_hold(pool_id: int, owner: str, signal: str, seconds: float) -> str:
    """Allocate in a transaction; create the file `signal`, then wait `seconds` to commit."""
    from pathlib import Path

    from django.db import transaction

    from ipman.services import ip_allocate

    with transaction.atomic():
        address = ip_allocate(pool=pool_id, owner=owner).address
        Path(signal).touch()
        time.sleep(seconds)
    return address


def allocate_many_until_full(pool_id: int, worker: int, start_at: float) -> dict:
    """Allocate 3 new owners a call with ip_allocate_many, then 1 once refused, until
    refused again; report what each call got and the owners of the refused calls."""
    from ipman.errors import PoolExhausted
    from ipman.services import ip_allocate_many

    _wait_for(start_at)
    allocated, refused, size, call = {}, [], 3, 0
    while True:
        owners = [f"many/{worker}/{call}/{n}" for n in range(size)]
        call += 1
        try:
            assignments = ip_allocate_many(pool=pool_id, owners=owners)
        except PoolExhausted:
            refused += owners
            if size == 1:
                return {"allocated": allocated, "refused": refused}
            size = 1
            continue
        allocated.update((a.owner, a.address) for a in assignments)


def allocate_many_as(pool_id: int, owners: list[str], start_at: float) -> list[tuple[str, bool]]:
    """One ip_allocate_many call for `owners`, started at `start_at` like its rivals'."""
    from ipman.services import ip_allocate_many

    _wait_for(start_at)
    return [(a.address, a.created) for a in ip_allocate_many(pool=pool_id, owners=owners)]
