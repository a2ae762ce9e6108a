"""Helpers the benchmarks share: a throwaway PostgreSQL database, ports, readiness."""

import os
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path

BMC_USER, BMC_PASSWORD = "admin", "Bench-Bmc-Pw-1"


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


@contextmanager
def power_bench_environment(name: str):
    """A throwaway var folder (and database, on PostgreSQL) in os.environ for a bench that
    starts Bearman's workers itself; yields the folder."""
    with ExitStack() as stack:
        var = stack.enter_context(tempfile.TemporaryDirectory(prefix=f"bearman-{name}-"))
        env = {
            "DJANGO_SETTINGS_MODULE": "bearman.settings",
            "BEARMAN_VAR_DIR": var,
            "BEARMAN_POWER_SYNC_SECONDS": "0",  # no beat here: the bench starts each sync
        }
        if on_postgres():
            env["DATABASE_URL"] = stack.enter_context(scratch_postgres(f"bearman_bench_{name}"))
        os.environ.update(env)
        yield Path(var)


def virtual_bmcs_started(count: int, base_port: int | None):
    """Django set up on a migrated database and `count` virtual BMCs listening (BMC_USER,
    BMC_PASSWORD): their ports and their process, for lab.virtual_bmc.stop()."""
    import django

    django.setup()
    from django.core.management import call_command

    from lab import virtual_bmc
    from tests.bearman.power.helpers import free_port_range

    call_command("migrate", verbosity=0)
    base_port = base_port or free_port_range(count)
    bmcs = virtual_bmc.start(
        count=count, base_port=base_port, username=BMC_USER, password=BMC_PASSWORD
    )
    return list(range(base_port, base_port + count)), bmcs


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
