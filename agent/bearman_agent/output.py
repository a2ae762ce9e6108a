"""What the agent says on stderr (warnings, progress) and prints on stdout."""

from __future__ import annotations

import json
import sys
from typing import Any

from bearman_agent.errors import one_line

PROGRAM = "bearman-cli"


def warn(message: str) -> None:
    """Print a one-line warning on stderr."""
    _line(f"{PROGRAM}: warning: {one_line(message)}")


def progress(message: str) -> None:
    """Print a one-line progress note on stderr, so stdout stays data."""
    _line(f"{PROGRAM}: {one_line(message)}")


def _line(text: str) -> None:
    # One write per line: print() writes the text and its newline separately, and
    # the fact collectors warn from several threads at once.
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def error(message: str) -> None:
    """Print the one-line error the agent ends with."""
    print(f"{PROGRAM}: error: {one_line(message)}", file=sys.stderr, flush=True)


def print_json(data: Any) -> None:
    """Print data as indented JSON on stdout."""
    print(json.dumps(data, indent=2, sort_keys=True))
