"""A throwaway PostgreSQL database for one benchmark run."""

import os
from contextlib import contextmanager


def _admin(base: str):
    import psycopg2

    connection = psycopg2.connect(f"{base}/postgres")
    connection.autocommit = True
    return connection


@contextmanager
def scratch_postgres(name: str):
    """Yield the URL of a fresh database `name` next to DATABASE_URL's; drop it afterwards."""
    base, _ = os.environ["DATABASE_URL"].rsplit("/", 1)
    admin = _admin(base)
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")
    admin.close()
    try:
        yield f"{base}/{name}"
    finally:
        from django.db import connections

        connections.close_all()
        admin = _admin(base)
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")
