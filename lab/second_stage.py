"""The lab's "installed OS": a busybox initramfs that says it booted, then powers off.

The first stage kexecs into it with the first-stage kernel; its one console line is what
the lab (and the test of the whole loop) looks for.
"""

import shutil
from pathlib import Path

from bearman.services.first_stage import cpio_newc

BUSYBOX = Path("/bin/busybox")
MARK = "bearman-second-stage:"

INIT = f"""#!/bin/sh
# The lab's second stage: show that the deployed kernel booted, with what it was given.
/bin/busybox mkdir -p /proc
/bin/busybox mount -t proc proc /proc
host=unknown
for word in $(/bin/busybox cat /proc/cmdline); do
    case "$word" in hostname=*) host="${{word#hostname=}}" ;; esac
done
echo "{MARK} $host is up" > /dev/console
/bin/busybox sleep 1
/bin/busybox poweroff -f
"""


def second_stage_initrd() -> bytes:
    """The initramfs: /init and a static busybox (Debian's busybox-static)."""
    if not BUSYBOX.is_file() or not shutil.which("busybox"):
        raise FileNotFoundError("busybox is missing: apt-get install busybox-static")
    return cpio_newc(
        [
            ("bin", 0o040755, b""),
            ("bin/busybox", 0o100755, BUSYBOX.read_bytes()),
            ("bin/sh", 0o120777, b"busybox"),
            ("init", 0o100755, INIT.encode()),
        ]
    )
