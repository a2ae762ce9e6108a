"""The first-stage OS as Bearman's boot artifacts, with this site's settings in an overlay.

`agent/image/build-first-stage` (`make first-stage`) builds `vmlinuz` and `initrd.img`; this
stores them as the artifacts the iPXE scripts boot. The stored initrd is the built one with a
small uncompressed cpio archive appended: the kernel unpacks concatenated archives in order,
later files win, so `/etc/bearman/agent.env` (the enrollment token, the LLDP wait) lands in the
image without rebuilding it.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bearman.errors import FirstStageMissing
from bearman.models import BootArtifact
from bearman.services.catalog import CHUNK, artifact_store

KERNEL_ARTIFACT = "first-stage-vmlinuz"
INITRD_ARTIFACT = "first-stage-initrd.img"
AGENT_ENV_PATH = "etc/bearman/agent.env"
# What a systemd EnvironmentFile= takes unquoted and the agent reads back unchanged.
SAFE_VALUE = re.compile(r"[A-Za-z0-9._~+/=:@-]+")


@dataclass(frozen=True)
class InstalledFirstStage:
    kernel: BootArtifact
    initrd: BootArtifact
    overlay_bytes: int


def first_stage_install(
    *, directory: Path, token: str | None, lldp_wait: int | None = None
) -> InstalledFirstStage:
    """Store DIR/vmlinuz and DIR/initrd.img (plus the site overlay) as the first-stage artifacts."""
    kernel_path, initrd_path = directory / "vmlinuz", directory / "initrd.img"
    missing = [path.name for path in (kernel_path, initrd_path) if not path.is_file()]
    if missing:
        raise FirstStageMissing(
            f"{directory} has no {' or '.join(missing)}: build the first-stage image first "
            "(make first-stage)"
        )
    overlay = site_overlay(token=token, lldp_wait=lldp_wait)
    kernel = artifact_store(
        name=KERNEL_ARTIFACT,
        chunks=_file_chunks(kernel_path),
        description="Bearman first-stage kernel (make first-stage)",
    )
    initrd = artifact_store(
        name=INITRD_ARTIFACT,
        chunks=_initrd_chunks(initrd_path, overlay),
        description=(
            "Bearman first-stage initramfs (make first-stage)"
            + (" with the site overlay /etc/bearman/agent.env" if overlay else "")
        ),
    )
    return InstalledFirstStage(kernel=kernel, initrd=initrd, overlay_bytes=len(overlay))


def site_overlay(*, token: str | None, lldp_wait: int | None) -> bytes:
    """The cpio archive holding /etc/bearman/agent.env, or b"" when there is nothing to hold."""
    lines = []
    if token:
        lines.append(f"BEARMAN_TOKEN={_env_value('BEARMAN_TOKEN', token)}")
    if lldp_wait is not None:
        if lldp_wait < 0:
            raise ValueError("the LLDP wait must be 0 seconds or more")
        lines.append(f"BEARMAN_LLDP_WAIT={int(lldp_wait)}")
    if not lines:
        return b""
    content = ("# Written by manage.py first_stage_install\n" + "\n".join(lines) + "\n").encode()
    return cpio_newc(
        [
            ("etc/bearman", 0o040755, b""),
            (AGENT_ENV_PATH, 0o100600, content),
        ]
    )


def cpio_newc(entries: list[tuple[str, int, bytes]]) -> bytes:
    """An uncompressed cpio archive in the "newc" format the kernel's initramfs unpacker reads.

    entries: (path without a leading slash, full st_mode, content); owned by root, mtime 0.
    """
    out = bytearray()
    for inode, (name, mode, data) in enumerate([*entries, ("TRAILER!!!", 0, b"")], start=1):
        encoded = name.encode() + b"\0"
        is_trailer = name == "TRAILER!!!"
        fields = [
            0 if is_trailer else inode,  # ino
            mode,
            0,  # uid
            0,  # gid
            0 if is_trailer else (2 if mode & 0o040000 else 1),  # nlink
            0,  # mtime
            len(data),
            0,  # devmajor
            0,  # devminor
            0,  # rdevmajor
            0,  # rdevminor
            len(encoded),
            0,  # check (newc has none)
        ]
        out += b"070701" + "".join(f"{field:08x}" for field in fields).encode()
        out += encoded
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def _env_value(name: str, value: str) -> str:
    if not SAFE_VALUE.fullmatch(value):
        raise ValueError(
            f"{name} holds characters an environment file cannot carry as they are "
            "(letters, digits and ._~+/=:@- only)"
        )
    return value


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _initrd_chunks(path: Path, overlay: bytes) -> Iterator[bytes]:
    """The built initrd, zeros up to a 4-byte boundary (where the kernel looks for the next
    archive), then the overlay."""
    size = 0
    for chunk in _file_chunks(path):
        size += len(chunk)
        yield chunk
    if overlay:
        yield b"\0" * (-size % 4)
        yield overlay
