"""Processors: model, sockets, cores, threads from `lscpu -J`, or /proc/cpuinfo without it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bearman_agent.commands import DEFAULT_TIMEOUT, run_tool
from bearman_agent.errors import CommandFailed, FactsParseError, ToolMissing
from bearman_agent.facts._json import json_member
from bearman_agent.output import warn

COMMAND = ("lscpu", "-J")
PROC_CPUINFO = Path("/proc/cpuinfo")

Cpu = dict[str, Any]


def parse_lscpu_json(text: str) -> Cpu:
    """Model and counts from lscpu's JSON, flat (util-linux < 2.37) or nested (`children`)."""
    entries = json_member(text, "lscpu", "lscpu", list)
    fields: dict[str, str] = {}
    for name, value in _fields(entries):
        fields.setdefault(name, value)
    return _cpu_from_lscpu(fields)


def _fields(entries: list[Any]) -> Iterator[tuple[str, str]]:
    """(field without its colon, data) for every entry, depth first."""
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        yield str(entry.get("field", "")).rstrip(":"), str(entry.get("data") or "")
        children = entry.get("children")
        if isinstance(children, list):
            yield from _fields(children)


def _cpu_from_lscpu(fields: dict[str, str]) -> Cpu:
    """Totals from the per-socket and per-core figures lscpu gives."""
    sockets = _int(fields.get("Socket(s)"))
    per_socket = _int(fields.get("Core(s) per socket") or fields.get("Core(s) per cluster"))
    per_core = _int(fields.get("Thread(s) per core"))
    cores = sockets * per_socket
    return {
        "model": fields.get("Model name", "").strip(),
        "sockets": sockets,
        "cores": cores,
        "threads": _int(fields.get("CPU(s)")) or cores * per_core,
    }


def parse_cpuinfo(text: str) -> Cpu:
    """Model and counts from /proc/cpuinfo (x86 layout; other layouts give what they have)."""
    processors = [block for block in _blocks(text) if "processor" in block]
    model = next((p.get("model name", "") for p in processors if p.get("model name")), "")
    cores = {(p.get("physical id", "0"), p.get("core id", p["processor"])) for p in processors}
    return {
        "model": model,
        "sockets": len({p.get("physical id", "0") for p in processors}),
        "cores": len(cores),
        "threads": len(processors),
    }


def _blocks(text: str) -> Iterator[dict[str, str]]:
    """Each blank-line separated block of `name : value` lines."""
    block: dict[str, str] = {}
    for line in text.splitlines() + [""]:
        if not line.strip():
            if block:
                yield block
            block = {}
            continue
        name, _, value = line.partition(":")
        block[name.strip()] = value.strip()


def _int(value: Any) -> int:
    """An integer, 0 when absent or not a number (lscpu prints "-" for unknown)."""
    try:
        return max(int(str(value).strip()), 0)
    except ValueError:
        return 0


def collect_cpu(timeout: float = DEFAULT_TIMEOUT) -> Cpu:
    """CPU facts from lscpu, else /proc/cpuinfo, else empty with a warning."""
    try:
        cpu = parse_lscpu_json(run_tool(COMMAND, timeout))
        if cpu["threads"]:
            return cpu
        warn("lscpu gave no CPU counts; reading /proc/cpuinfo")
    except (ToolMissing, CommandFailed, FactsParseError) as problem:
        warn(f"lscpu: {problem}; reading /proc/cpuinfo")
    try:
        return parse_cpuinfo(PROC_CPUINFO.read_text(errors="replace"))
    except OSError as problem:
        warn(f"no CPU facts: {problem}")
        return {"model": "", "sockets": 0, "cores": 0, "threads": 0}
