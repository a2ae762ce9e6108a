"""Running the profile's install script with the Baremetal's detail in its environment."""

from __future__ import annotations

import collections
import errno
import json
import os
import re
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
    returncode, tail = _run_streaming(argv, workdir, {**os.environ, **env}, timeout, script)
    if returncode != 0:
        detail = f": {' | '.join(tail)}" if tail else ""
        raise InstallScriptFailed(f"install script exited with status {returncode}{detail}")


def shebang_interpreter(script: str) -> str:
    """The interpreter of the script's #! line as the kernel reads it ("" without one).

    The kernel ends the name at a space, a tab or the newline: a carriage return before
    the newline is part of it.
    """
    if not script.startswith("#!"):
        return ""
    line = script[2:].split("\n", 1)[0].lstrip(" \t")
    return re.split(r"[ \t]", line, maxsplit=1)[0]


def _why_not_started(problem: OSError, script: str) -> str:
    """Name the #! interpreter when it is what exec could not find or run, not the file."""
    interpreter = shebang_interpreter(script)
    # Escaped, so that a carriage return or other control character shows.
    shown = interpreter.encode("unicode_escape").decode("ascii")
    if problem.errno == errno.ENOENT and interpreter and not os.path.exists(interpreter):
        hint = " (the script has CRLF line endings: save it with LF)" if "\r" in interpreter else ""
        return f"cannot start the install script: interpreter {shown} not found{hint}"
    if problem.errno == errno.ENOEXEC and interpreter:
        return f"cannot start the install script: interpreter {shown} cannot be executed"
    return f"cannot start the install script: {problem}"


def _run_streaming(argv: list[str], cwd: Path, env: dict, timeout: float, script: str) -> tuple:
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
        raise InstallScriptFailed(_why_not_started(problem, script)) from None
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
