"""Running external programs: argument lists only, never a shell; dry runs print instead."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from bearman_agent.errors import CommandFailed, ToolMissing, one_line

DEFAULT_TIMEOUT = 60.0
MASK = "********"


@dataclass(frozen=True)
class Command:
    """One program to run, with the arguments that must never be shown."""

    argv: tuple[str, ...]
    secrets: tuple[str, ...] = ()

    def shown(self) -> str:
        """The command as a shell line, secrets masked."""
        return shlex.join(MASK if arg in self.secrets else arg for arg in self.argv)


def require_tools(names: Sequence[str]) -> None:
    """Fail with ToolMissing naming every program that is not on PATH."""
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        raise ToolMissing(f"required tool not found on PATH: {', '.join(missing)}")


def run_tool(argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> str:
    """Run a read-only tool and return its stdout; ToolMissing or CommandFailed otherwise."""
    try:
        completed = subprocess.run(
            list(argv), capture_output=True, text=True, errors="replace", timeout=timeout
        )
    except FileNotFoundError:
        raise ToolMissing(f"{argv[0]} not found") from None
    except subprocess.TimeoutExpired:
        raise CommandFailed(f"{argv[0]} did not finish within {timeout:g} s") from None
    if completed.returncode != 0:
        raise CommandFailed(_failure_message(argv[0], completed.returncode, completed.stderr))
    return completed.stdout


def _failure_message(program: str, returncode: int, stderr: str) -> str:
    """`program exited with status N: <its last error line>`."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    detail = f": {one_line(lines[-1])}" if lines else ""
    return f"{program} exited with status {returncode}{detail}"


@dataclass
class CommandRunner:
    """Runs commands that change the machine, or in a dry run only records and prints them."""

    dry_run: bool = False
    echo: bool = True
    timeout: float = DEFAULT_TIMEOUT
    done: list[Command] = field(default_factory=list)

    def run(self, command: Command) -> None:
        """Run (or in a dry run print) one command; CommandFailed when it fails."""
        self.done.append(command)
        if self.dry_run:
            if self.echo:
                print(f"would run: {command.shown()}", flush=True)
            return
        print(f"running: {command.shown()}", file=sys.stderr, flush=True)
        try:
            run_tool(command.argv, timeout=self.timeout)
        except CommandFailed as failure:
            raise CommandFailed(f"{command.shown()}: {failure}") from None
