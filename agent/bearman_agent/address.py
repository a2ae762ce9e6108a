"""The machine's own address on the network that reaches the server (for SSH after a failure)."""

from __future__ import annotations

import socket


def own_address(target: str) -> str:
    """The local address the kernel would use to reach target `host:port`; "" when unknown."""
    host, _, port = target.rpartition(":")
    host = host.strip("[]")
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # A UDP connect only picks the route and source address; no packet leaves the machine.
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((host, int(port)))
            return probe.getsockname()[0]
    except (OSError, ValueError):
        return ""
