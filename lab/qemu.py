"""One lab VM as QEMU sees it: SMBIOS identity, a NIC that boots the real iPXE ROM over
user-mode networking that reaches only Bearman, a disk, and a KCS BMC device."""

import shlex
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

QEMU = "qemu-system-x86_64"
# Inside each guest's user-mode network Bearman answers at this address; nothing else does.
BEARMAN_GUEST_ADDRESS = "10.0.2.100"
GUEST_HTTP_PORT = 8000
GUEST_GRPC_PORT = 50051
# The first stage's RAM root holds the image and what a deployment downloads: 640 MB fails.
MEMORY_MB = 1024
KVM_PROBE_SECONDS = 30
SERIAL_PORT_COM1 = 0x3F8


@dataclass(frozen=True)
class Forwards:
    """Where the guest's HTTP and gRPC connections to Bearman land on this host."""

    http_port: int
    grpc_port: int

    def guest_url(self) -> str:
        return f"http://{BEARMAN_GUEST_ADDRESS}:{GUEST_HTTP_PORT}"

    def guest_grpc(self) -> str:
        return f"{BEARMAN_GUEST_ADDRESS}:{GUEST_GRPC_PORT}"


@dataclass(frozen=True)
class VmSpec:
    """What makes one lab VM itself."""

    name: str
    uuid: str
    serial: str
    mac: str
    directory: Path
    kcs_port: int
    vcpus: int = 1

    @property
    def console(self) -> Path:
        return self.directory / "console.log"

    def console_text(self) -> str:
        """Everything the VM has written to its serial console, across boots."""
        return self.console.read_text(errors="replace") if self.console.exists() else ""

    @property
    def disk(self) -> Path:
        return self.directory / "disk.qcow2"


def user_network(forwards: Forwards) -> str:
    """A user-mode network with no way out (restrict=on) but two forwards to Bearman."""
    guestfwd = [
        f"guestfwd=tcp:{BEARMAN_GUEST_ADDRESS}:{guest}-cmd:socat - TCP:127.0.0.1:{host}"
        for guest, host in (
            (GUEST_HTTP_PORT, forwards.http_port),
            (GUEST_GRPC_PORT, forwards.grpc_port),
        )
    ]
    boot_file = f"{forwards.guest_url()}/ipxe/boot.ipxe"
    return ",".join(["user", "id=net0", "restrict=on", f"bootfile={boot_file}", *guestfwd])


def qemu_command(spec: VmSpec, forwards: Forwards, accel: str, *, bmc: bool = True) -> list[str]:
    """The QEMU command line of `spec`: network boot first, then its disk."""
    bmc_devices = [
        "-chardev", f"socket,id=ipmi0,host=127.0.0.1,port={spec.kcs_port},reconnect=2",
        "-device", "ipmi-bmc-extern,id=bmc0,chardev=ipmi0",
        "-device", "isa-ipmi-kcs,bmc=bmc0",
    ]  # fmt: skip
    return [
        QEMU,
        "-name", spec.name,
        "-machine", f"pc,accel={accel}",
        "-m", str(MEMORY_MB),
        "-smp", str(spec.vcpus),
        "-smbios", f"type=1,manufacturer=Bearman,product=VM lab,serial={spec.serial}",
        "-uuid", spec.uuid,
        "-netdev", user_network(forwards),
        "-device", f"e1000,netdev=net0,mac={spec.mac}",
        "-drive", f"file={spec.disk},if=virtio,format=qcow2",
        "-boot", "order=nc",
        *(bmc_devices if bmc else []),
        "-chardev", f"file,id=console,path={spec.console},append=on",
        "-serial", "chardev:console",
        "-display", "none",
        "-monitor", "none",
        # SeaBIOS copies the text console to this serial port: iPXE's lines reach the log.
        "-fw_cfg", f"name=etc/sercon-port,file={spec.directory / 'sercon-port'}",
        "-pidfile", str(spec.directory / "qemu.pid"),
        "-nodefaults",
        "-vga", "none",
    ]  # fmt: skip


def prepare_vm_files(spec: VmSpec) -> None:
    """The VM's disk (empty, made once) and the file that sends SeaBIOS's console to COM1."""
    if not spec.disk.exists():
        subprocess.run(
            ["qemu-img", "create", "-q", "-f", "qcow2", str(spec.disk), "2G"], check=True
        )
    (spec.directory / "sercon-port").write_bytes(SERIAL_PORT_COM1.to_bytes(2, "little"))


def write_start_script(spec: VmSpec, forwards: Forwards, accel: str) -> Path:
    """The script ipmi_sim runs on `chassis power on`: it becomes the QEMU process."""
    prepare_vm_files(spec)
    script = spec.directory / "power-on"
    command = shlex.join(qemu_command(spec, forwards, accel))
    script.write_text(f"#!/bin/sh\n# Written by the VM lab: the machine itself.\nexec {command}\n")
    script.chmod(0o755)
    return script


def choose_accel(kernel: Path, wanted: str = "auto", *, cache: Path | None = None) -> str:
    """'kvm' when asked for, or when it boots a kernel here; 'tcg' otherwise.

    /dev/kvm can exist and still hang a guest (seen on nested hosts), so "auto" boots the
    first-stage kernel once under KVM and takes it only if Linux gets as far as its root.
    The answer is kept in `cache` (it costs up to 30 s on a host where KVM hangs).
    """
    if wanted != "auto":
        return wanted
    if not Path("/dev/kvm").exists():
        return "tcg"
    if cache and cache.exists():
        return cache.read_text().strip()
    accel = _probe_kvm(kernel)
    if cache:
        cache.write_text(accel + "\n")
    return accel


def _probe_kvm(kernel: Path) -> str:
    with tempfile.TemporaryDirectory(prefix="bearman-kvm-probe-") as folder:
        console = Path(folder) / "console.log"
        probe = subprocess.Popen(
            [
                QEMU, "-machine", "pc,accel=kvm", "-m", "256", "-nodefaults",
                "-display", "none", "-monitor", "none", "-no-reboot",
                "-kernel", str(kernel), "-append", "console=ttyS0 panic=-1",
                "-chardev", f"file,id=console,path={console}", "-serial", "chardev:console",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + KVM_PROBE_SECONDS
            while time.monotonic() < deadline and probe.poll() is None:
                text = console.read_text(errors="replace") if console.exists() else ""
                if "VFS:" in text or "Kernel panic" in text:
                    return "kvm"
                time.sleep(0.5)
            return "tcg"
        finally:
            probe.kill()
            probe.wait()
