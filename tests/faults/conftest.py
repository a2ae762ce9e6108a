"""The fault suite's Bearman (stack.py), its webhook and slow BMC, and the table at the end.

It needs a PostgreSQL cluster of its own, so the embedded run (SQLite) skips it; in
CI's PostgreSQL run a missing tool fails it (tests/conftest.py's require).
"""

import shutil
from collections import deque

import pytest

from tests.bearman.power.helpers import silent_bmcs
from tests.conftest import EMBEDDED_RUN, require, require_tool

from .ledger import Row, table
from .stack import ROOT, Stack, pg_tool, stack_directory
from .webhook import Webhook

FAKE_NODES = 900
ROWS: list[Row] = []  # one per fault, in the order they ran


# Package scope: the whole Bearman stops after the last fault, not at the end of the run.
@pytest.fixture(scope="package")
def webhook():
    with Webhook() as hook:
        yield hook


@pytest.fixture(scope="package")
def slow_bmc():
    """An IPMI BMC that takes every packet and never answers: an operation hangs on it."""
    with silent_bmcs(1) as (bmc,):
        yield bmc


@pytest.fixture(scope="package")
def stack(webhook, slow_bmc):
    if EMBEDDED_RUN:
        pytest.skip("the fault suite runs on its own PostgreSQL cluster: CI's PostgreSQL run")
    for tool in ("initdb", "pg_ctl"):
        require(pg_tool(tool) is not None, f"{tool} is not installed (Debian's postgresql)")
    require_tool("redis-server", "Debian's redis-server")
    with stack_directory() as directory:
        bearman = Stack(directory=directory, webhook_url=webhook.url)
        try:
            bearman.build(fake_nodes=FAKE_NODES, slow_bmc_port=slow_bmc.port)
            yield bearman
        finally:
            bearman.close()
            # Each process's log, for CI's artifacts and for whoever reads a failure.
            kept = ROOT / "test-output" / "faults"
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(directory / "logs", kept, dirs_exist_ok=True)


@pytest.fixture(scope="package")
def fresh_nodes(stack) -> deque:
    """Fake-driver nodes nobody has asked for power yet: one request each."""
    return deque(stack.seed["fake_nodes"])


@pytest.fixture
def bearman(stack):
    """The stack with every process running (a fault before may have left one dead)."""
    revived = stack.revive()
    if revived:
        print(f"\nfault suite: started again after the fault before: {', '.join(revived)}")
    return stack


@pytest.fixture
def fault_row(request):
    """The row this fault fills; it goes into the table even when the test fails."""
    row = Row(fault=request.node.originalname.removeprefix("test_"))
    if request.node.get_closest_marker("xfail"):
        row.fault += " (xfail: known defect)"
    yield row
    ROWS.append(row)


def pytest_terminal_summary(terminalreporter):
    if not ROWS:
        return
    terminalreporter.section("fault suite")
    terminalreporter.write_line(table(ROWS))
    for row in ROWS:
        for problem in row.problems[:6]:
            terminalreporter.write_line(f"  {row.fault}: {problem}")
