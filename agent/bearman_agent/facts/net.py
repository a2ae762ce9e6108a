"""Physical NICs from /sys/class/net: name, MAC, speed and carrier; virtual devices skipped."""

from __future__ import annotations

from pathlib import Path

from bearman_agent.output import warn

SYSFS_NET = Path("/sys/class/net")
# Ethernet only: InfiniBand's 20-byte addresses are not MACs the server accepts.
ARPHRD_ETHER = "1"


def read_nics(root: Path = SYSFS_NET) -> list[dict[str, object]]:
    """Every physical network interface under root, sorted by name."""
    try:
        names = sorted(entry.name for entry in root.iterdir())
    except OSError as problem:
        warn(f"cannot list network interfaces in {root}: {problem}")
        return []
    nics = [_read_nic(root / name) for name in names if _is_physical(root / name)]
    return [nic for nic in nics if nic is not None]


def _is_physical(path: Path) -> bool:
    """Backed by a device (PCI, USB, virtio), not lo, bridges, bonds, VLANs or tunnels."""
    if not (path / "device").exists():
        return False
    return _read(path / "type") == ARPHRD_ETHER


def _read_nic(path: Path) -> dict[str, object] | None:
    """One NIC's facts; None when it has no readable MAC."""
    mac = _read(path / "address").lower()
    if not mac:
        warn(f"{path.name}: no MAC address readable")
        return None
    return {
        "name": path.name,
        "mac": mac,
        "speed_mbps": _speed(_read(path / "speed")),
        "link": _read(path / "carrier") == "1",
    }


def _speed(text: str) -> int:
    """Mb/s, 0 when unknown (the kernel says -1 or refuses to read without link)."""
    try:
        return max(int(text), 0)
    except ValueError:
        return 0


def _read(path: Path) -> str:
    """A sysfs attribute's value, "" when unreadable (carrier and speed of a down link)."""
    try:
        return path.read_text().strip()
    except OSError:
        return ""
