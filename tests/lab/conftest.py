"""What the VM lab's tests need: QEMU, the iPXE ROM, ipmi_sim, the first-stage image.

Outside CI a missing piece skips them; in CI (CI=true) it fails them: `.ci/run` installs
the packages and builds the image first.
"""

import os
import random
import shutil
from pathlib import Path

import pytest

from bearman.settings.environment import var_dir
from tests.conftest import require

TOOLS = ("qemu-system-x86_64", "qemu-img", "ipmi_sim", "ipmitool", "socat", "busybox")
IPXE_ROM = Path("/usr/lib/ipxe/qemu/efi-e1000.rom")  # what QEMU's e1000 boots


@pytest.fixture
def vm_tools():
    """The Debian packages of `make vm-deps`."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    require(not missing, f"{', '.join(missing)} missing: make vm-deps installs them")
    require(IPXE_ROM.exists() or IPXE_ROM.is_symlink(), "no iPXE ROM: apt-get install ipxe-qemu")


@pytest.fixture
def first_stage_dir(vm_tools) -> Path:
    """The built first-stage image (`make first-stage`)."""
    directory = var_dir() / "first-stage"
    built = (directory / "vmlinuz").is_file() and (directory / "initrd.img").is_file()
    require(built, f"no first-stage image in {directory}: run make first-stage")
    return directory


@pytest.fixture
def bmc_port_623():
    """The lab's BMCs answer on UDP port 623, as real ones do: that takes root."""
    require(os.geteuid() == 0, "the VM lab's BMC addresses need root (UDP port 623)")


def loopback_network() -> str:
    """A /24 of loopback addresses of this run's own for the BMCs."""
    return f"127.{random.randrange(5, 255)}.{random.randrange(256)}.0/24"
