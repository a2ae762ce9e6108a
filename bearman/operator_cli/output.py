"""Tables for people, JSON for scripts."""

import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence

# (heading, how to get the cell from a record): a key, or a function of the record.
Column = tuple[str, str | Callable[[dict], object]]
# What a terminal obeys rather than shows: C0 and C1 controls (newlines, escape sequences),
# Unicode's line and paragraph separators and its bidirectional overrides.
TERMINAL_CONTROLS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def emit(data, *, as_json: bool, columns: Sequence[Column] | None = None) -> None:
    """Print `data` (a record or a list of records) as JSON or as a table."""
    if as_json:
        print(json.dumps(data, indent=2, sort_keys=True))
    elif isinstance(data, list):
        print_table(data, columns or [])
    else:
        print_record(data, columns)


def print_table(rows: Iterable[dict], columns: Sequence[Column]) -> None:
    lines = [[heading for heading, _ in columns]]
    lines += [[_cell(row, getter) for _, getter in columns] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    for line in lines:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )


def print_record(record: dict, columns: Sequence[Column] | None = None) -> None:
    """One record as `key: value` lines (nested values as compact JSON)."""
    pairs = [(h, _cell(record, g)) for h, g in columns] if columns else _flat(record)
    width = max((len(key) for key, _ in pairs), default=0)
    for key, value in pairs:
        print(f"{key.ljust(width)}  {value}")


def progress(message: str) -> None:
    """Progress goes to stderr, so stdout stays a clean table or JSON document."""
    print(terminal_safe(message), file=sys.stderr, flush=True)


def terminal_safe(text: str) -> str:
    """`text` with every control character shown as an escape (\\n, \\x1b, \\u202e).

    Much of what the server returns was written by agents on the provisioning network (a
    product name, a serial, a failure message): printed raw, a newline in it would forge
    lines of output and an escape sequence would command the operator's terminal.
    """
    return TERMINAL_CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


def _flat(record: dict) -> list[tuple[str, str]]:
    return [(key, _text(value)) for key, value in record.items()]


def _cell(row: dict, getter) -> str:
    return _text(getter(row) if callable(getter) else row.get(getter))


def _text(value) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return terminal_safe(str(value))
