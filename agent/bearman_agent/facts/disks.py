"""Block devices from `lsblk -J -b`: whole disks only, no partitions, loops, RAM or zram."""

from __future__ import annotations

from typing import Any

from bearman_agent.commands import DEFAULT_TIMEOUT, run_tool
from bearman_agent.errors import CommandFailed, FactsParseError, ToolMissing
from bearman_agent.facts._json import json_member
from bearman_agent.output import warn

COMMAND = ("lsblk", "-J", "-b", "-d", "-o", "NAME,MODEL,SERIAL,SIZE,ROTA,TYPE")
# Kernel devices that are not storage a server was bought with.
VIRTUAL_PREFIXES = ("zram", "ram", "loop", "nbd", "fd")

Disk = dict[str, Any]


def parse_lsblk_json(text: str) -> list[Disk]:
    """Each whole disk; util-linux before 2.33 prints numbers and booleans as strings."""
    devices = json_member(text, "lsblk", "blockdevices", list)
    return [_disk(device) for device in devices if _is_disk(device)]


def _is_disk(device: Any) -> bool:
    """A physical or virtual disk, not a partition, CD-ROM or kernel RAM device."""
    if not isinstance(device, dict) or device.get("type") != "disk":
        return False
    return not str(device.get("name", "")).startswith(VIRTUAL_PREFIXES)


def _disk(device: dict[str, Any]) -> Disk:
    """One disk's facts with lsblk's padding stripped."""
    return {
        "name": str(device.get("name") or ""),
        "model": str(device.get("model") or "").strip(),
        "serial": str(device.get("serial") or "").strip(),
        "size_bytes": _int(device.get("size")),
        "rotational": _bool(device.get("rota")),
    }


def _int(value: Any) -> int:
    """A size in bytes, 0 when lsblk gave none."""
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def _bool(value: Any) -> bool:
    """lsblk's true/false, or "1"/"0" from older versions."""
    return value is True or str(value).strip() in ("1", "true")


def collect_disks(timeout: float = DEFAULT_TIMEOUT) -> list[Disk]:
    """Disks from lsblk; an empty list with a warning when lsblk is missing or odd."""
    try:
        return parse_lsblk_json(run_tool(COMMAND, timeout))
    except (ToolMissing, CommandFailed, FactsParseError) as problem:
        warn(f"no disk facts: {problem}")
        return []
