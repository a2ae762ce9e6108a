"""Helpers the benchmarks share: a throwaway PostgreSQL database, ports, readiness."""

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
        from django.conf import settings
        from django.db import connections

        if settings.configured:  # a bench that runs Django in its own process
            connections.close_all()
        admin = _admin(base)
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    """Return once `url` answers; stop the benchmark when it never does."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up within {seconds} s")


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of process `pid` and its live descendants, with the children they reaped."""
    parents, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:  # gone meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()  # the name may hold spaces
        parents[int(entry)] = int(fields[1])
        cpu[int(entry)] = sum(int(ticks) for ticks in fields[11:15])  # u, s, cu, cs time
    tree, found = {pid}, True
    while found:
        found = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= found
    return sum(cpu.get(member, 0) for member in tree) / os.sysconf("SC_CLK_TCK")
