"""Running the profile's install script with the deployment's detail in its environment."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from bearman_agent.errors import InstallScriptFailed, one_line
from bearman_agent.output import progress

# The last lines of the script's stderr go into the failure report.
TAIL_LINES = 5
STDERR_FD = 2


def detail_environment(detail: dict[str, Any], extra: dict[str, str]) -> dict[str, str]:
    """BEARMAN_* variables: hostname, DNS, VLAN, bond, each address, and the detail as JSON."""
    bond = detail.get("bond") or {}
    env = {
        "BEARMAN_HOSTNAME": detail.get("hostname", ""),
        "BEARMAN_DNS_SERVERS": " ".join(detail.get("dns_servers", [])),
        "BEARMAN_VLAN": str(detail.get("vlan", 0)),
        "BEARMAN_BOND_MODE": bond.get("mode", ""),
        "BEARMAN_BOND_OPTIONS": bond.get("options", ""),
        "BEARMAN_BOND_MEMBERS": " ".join(bond.get("members", [])),
        "BEARMAN_DETAIL_JSON": json.dumps(detail, sort_keys=True),
    }
    addresses = detail.get("addresses", [])
    env["BEARMAN_ADDRESS_COUNT"] = str(len(addresses))
    for index, address in enumerate(addresses):
        for name in ("interface", "address", "prefix_length", "gateway", "vlan", "pool"):
            env[f"BEARMAN_ADDRESS_{index}_{name.upper()}"] = str(address.get(name, ""))
    env.update(extra)
    return env


def run_install_script(script: str, *, workdir: Path, env: dict[str, str], timeout: float) -> None:
    """Run the script (its own #! interpreter, else /bin/sh); InstallScriptFailed on failure."""
    if not script.strip():
        progress("the profile has no install script")
        return
    path = workdir / "install-script"
    path.write_text(script)
    path.chmod(0o700)
    argv = [str(path)] if script.startswith("#!") else ["/bin/sh", str(path)]
    progress(f"running the install script ({len(script.splitlines())} lines)")
    returncode, tail = _run_streaming(argv, workdir, {**os.environ, **env}, timeout)
    if returncode != 0:
        detail = f": {' | '.join(tail)}" if tail else ""
        raise InstallScriptFailed(f"install script exited with status {returncode}{detail}")


def _run_streaming(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple:
    """Run argv, its output passed on to our stderr; (exit status, last stderr lines)."""
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=STDERR_FD,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as problem:
        raise InstallScriptFailed(f"cannot start the install script: {problem}") from None
    # A reader thread, so that the timeout holds even when the script stops writing.
    reader = threading.Thread(target=_pass_on, args=(process.stderr, tail), daemon=True)
    reader.start()
    try:
        returncode = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        # The script's own children go too: it runs in a session of its own.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise InstallScriptFailed(f"install script ran longer than {timeout:g} s") from None
    finally:
        reader.join(timeout=5)
    return returncode, list(tail)


def _pass_on(stream: IO[str], tail: collections.deque[str]) -> None:
    """Copy the script's stderr to ours, keeping its last lines."""
    for line in stream:
        sys.stderr.write(line)
        sys.stderr.flush()
        if line.strip():
            tail.append(one_line(line))
