"""Fixtures of the agent's tests: recorded outputs, the real bearman-cli, a gRPC peer, HTTP."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
IN_CI = os.environ.get("CI", "").lower() == "true"
BEARMAN_CLI = Path(sys.executable).parent / "bearman-cli"


def recorded(tool: str, name: str) -> str:
    """The text of a recorded output under fixtures/<tool>/."""
    return (FIXTURES / tool / name).read_text(errors="replace")


def require_tool(name: str) -> str:
    """The tool's path; outside CI a missing tool skips the test, in CI it fails it."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (make system-deps installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def run_cli(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the installed bearman-cli as a user would."""
    return subprocess.run(
        [str(BEARMAN_CLI), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
