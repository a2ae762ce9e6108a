"""Memory from /proc/meminfo: MemTotal, what the kernel can use (a bit under what is installed)."""

from __future__ import annotations

from pathlib import Path

from bearman_agent.output import warn

PROC_MEMINFO = Path("/proc/meminfo")
UNITS = {"": 1, "b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def parse_meminfo(text: str) -> int:
    """MemTotal in bytes; 0 when the line is missing or unreadable."""
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() != "MemTotal":
            continue
        number, _, unit = value.strip().partition(" ")
        try:
            return int(number) * UNITS.get(unit.strip().lower(), 1)
        except ValueError:
            return 0
    return 0


def collect_memory_bytes() -> int:
    """Installed memory as the kernel reports it; 0 with a warning when unknown."""
    try:
        total = parse_meminfo(PROC_MEMINFO.read_text(errors="replace"))
    except OSError as problem:
        warn(f"no memory facts: {problem}")
        return 0
    if not total:
        warn(f"no MemTotal in {PROC_MEMINFO}")
    return total
