"""The kernel command line's bearman.* settings: what `autorun` does, against which server."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bearman_agent.errors import UsageError

PROC_CMDLINE = Path("/proc/cmdline")
MODES = ("register", "deploy")
PREFIX = "bearman."


@dataclass(frozen=True)
class BootSettings:
    """bearman.mode, the gRPC server, bearman.token, bearman.tls and bearman.uuid."""

    mode: str = ""
    server: str = ""
    token: str = ""
    tls: bool = False
    uuid: str = ""


def parse_cmdline(text: str) -> BootSettings:
    """The bearman.* parameters before any `--` (what follows belongs to init).

    Bearman's iPXE scripts give the gRPC endpoint as bearman.grpc=HOST:PORT and its
    web address as bearman.server=URL; a hand-written command line may give only
    bearman.server=HOST[:PORT]. A URL there means its host on the default gRPC port.
    """
    params = _params(text)
    return BootSettings(
        mode=params.get("mode", ""),
        server=params.get("grpc") or _grpc_target(params.get("server", "")),
        token=params.get("token", ""),
        tls=params.get("tls", "") in ("1", "true", "yes", "on"),
        uuid=params.get("uuid", ""),
    )


def _grpc_target(server: str) -> str:
    if "://" not in server:
        return server
    host = urlsplit(server).hostname or ""
    return f"[{host}]" if ":" in host else host


def _params(text: str) -> dict[str, str]:
    """`bearman.NAME=value` words, the kernel's double quotes removed; the last one wins."""
    try:
        words = shlex.split(text)
    except ValueError:
        # An unbalanced quote: the kernel takes words as they come, and so do we.
        words = text.split()
    params: dict[str, str] = {}
    for word in words:
        if word == "--":
            break
        name, separator, value = word.partition("=")
        if name.startswith(PREFIX) and separator:
            params[name[len(PREFIX) :]] = value
    return params


def read_boot_settings(path: Path = PROC_CMDLINE) -> BootSettings:
    """The settings from path; UsageError when the mode is missing or unknown."""
    try:
        settings = parse_cmdline(path.read_text(errors="replace"))
    except OSError as problem:
        raise UsageError(f"cannot read {path}: {problem.strerror}") from None
    if settings.mode not in MODES:
        found = f"bearman.mode={settings.mode}" if settings.mode else "no bearman.mode"
        raise UsageError(f"{found} in {path}: expected bearman.mode=register or deploy")
    return settings
