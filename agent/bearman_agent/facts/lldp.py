"""Switch neighbours per interface from lldpd: `lldpctl -f json`."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from bearman_agent.commands import DEFAULT_TIMEOUT, run_tool
from bearman_agent.errors import CommandFailed, FactsParseError, ToolMissing
from bearman_agent.facts._json import json_member
from bearman_agent.output import warn

COMMAND = ("lldpctl", "-f", "json")
POLL_SECONDS = 2.0

Neighbor = dict[str, str]


def parse_lldpctl_json(text: str) -> dict[str, Neighbor]:
    """Interface name -> its first neighbour (chassis id, system name, port id, description)."""
    lldp = json_member(text, "lldpctl", "lldp", dict)
    neighbors: dict[str, Neighbor] = {}
    for name, entry in _interfaces(lldp.get("interface")):
        if name not in neighbors and isinstance(entry, dict):
            neighbors[name] = _neighbor(entry)
    return neighbors


def _interfaces(value: Any) -> Iterator[tuple[str, Any]]:
    """(name, entry) pairs: lldpctl prints one interface as an object, several as a list."""
    items: Iterable[Any] = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict):
            yield from item.items()


def _neighbor(entry: dict[str, Any]) -> Neighbor:
    """One neighbour's chassis and port, empty strings for what the switch did not send."""
    system_name, chassis = _chassis(entry.get("chassis"))
    port = entry.get("port") if isinstance(entry.get("port"), dict) else {}
    return {
        "chassis_id": _id_value(chassis.get("id")),
        "system_name": system_name,
        "port_id": _id_value(port.get("id")),
        "port_description": _text(port.get("descr")),
    }


def _chassis(value: Any) -> tuple[str, dict[str, Any]]:
    """(system name, chassis fields): lldpctl keys the chassis by its name when it has one."""
    if not isinstance(value, dict):
        return "", {}
    if "id" in value:
        return "", value
    for name, fields in value.items():
        if isinstance(fields, dict):
            return str(name), fields
    return "", {}


def _id_value(value: Any) -> str:
    """The value of an `{"type": ..., "value": ...}` id."""
    return _text(value.get("value")) if isinstance(value, dict) else _text(value)


def _text(value: Any) -> str:
    """A string field, "" when absent or not a string."""
    return value.strip() if isinstance(value, str) else ""


def collect_neighbors(
    wait_seconds: float = 0.0, linked: Iterable[str] = (), timeout: float = DEFAULT_TIMEOUT
) -> dict[str, Neighbor]:
    """Ask lldpd, polling up to wait_seconds until every linked interface has a neighbour."""
    deadline = time.monotonic() + wait_seconds
    expected = set(linked)
    while True:
        try:
            neighbors = parse_lldpctl_json(run_tool(COMMAND, timeout))
        except (ToolMissing, CommandFailed, FactsParseError) as problem:
            warn(f"no LLDP neighbours: {problem}")
            return {}
        silent = expected - set(neighbors)
        if not silent:
            return neighbors
        if time.monotonic() >= deadline:
            if wait_seconds > 0:
                warn(f"no LLDP neighbour after {wait_seconds:g} s on {', '.join(sorted(silent))}")
            return neighbors
        time.sleep(POLL_SECONDS)
