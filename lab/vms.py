"""The VM lab: N QEMU guests with ipmi_sim BMCs, kept under one directory.

Each VM's identity (SMBIOS UUID, serial, MAC), disk and BMC state live in ROOT/<name>/, so a
lab stopped and started again on the same directory is the same rack of machines.
"""

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .bmc import BmcPorts, lan_settings, press_power, start_bmc, write_bmc_config
from .qemu import Forwards, VmSpec, write_start_script
from .relay import BmcRelays

logger = logging.getLogger(__name__)
# Console lines that mark a boot's steps, as the guest prints them (iPXE, Linux, the agent).
CONSOLE_MARKS = {
    "ipxe": "iPXE initialising devices",
    "ipxe_script": "Bearman: ",  # our scripts' echo: /ipxe/<uuid> was fetched
    "linux": "Linux version",
    "agent": "bearman-cli: autorun:",
    "second_stage": "bearman-second-stage:",
}


@dataclass
class LabVm:
    """One VM of the lab: its spec, its BMC's ports and process, what its console showed."""

    spec: VmSpec
    ports: BmcPorts
    bmc: subprocess.Popen | None = None
    seen: dict[str, float] = field(default_factory=dict)
    console_offset: int = 0

    @property
    def name(self) -> str:
        return self.spec.name

    def console_text(self) -> str:
        return self.spec.console_text()

    def bmc_address(self) -> str | None:
        """The address the guest gave its BMC in-band, if it did."""
        address = lan_settings(self.spec).get("ip_addr")
        return address if address and address != "0.0.0.0" else None


class VmLab:
    """Start, watch and stop the lab's VMs."""

    def __init__(self, *, root: Path, count: int, forwards: Forwards, accel: str):
        self.root, self.forwards, self.accel = root, forwards, accel
        self.root.mkdir(parents=True, exist_ok=True)
        self.vms = [self._vm(index) for index in range(count)]
        self.relays = BmcRelays()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start every BMC (machines stay off) and the watcher that follows them."""
        for vm in self.vms:
            power_on = write_start_script(vm.spec, self.forwards, self.accel)
            conf = write_bmc_config(vm.spec, vm.ports, power_on)
            vm.bmc = start_bmc(vm.spec, vm.ports, conf)
        for target in (self.relays.run, self._watch):
            thread = threading.Thread(target=target, args=(self._stop,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def power_on(self, vm: LabVm | None = None) -> None:
        """Press the power button of `vm` (or of every VM) through its BMC."""
        for each in [vm] if vm else self.vms:
            each.seen["power_on"] = time.time()
            press_power(each.ports, "on")

    def stop(self) -> None:
        """Stop the machines, their BMCs and the relays; the directory stays for a restart."""
        self._stop.set()
        for vm in self.vms:
            _kill_pidfile(vm.spec.directory / "qemu.pid")
            if vm.bmc and vm.bmc.poll() is None:
                os.killpg(vm.bmc.pid, signal.SIGTERM)
                try:
                    vm.bmc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(vm.bmc.pid, signal.SIGKILL)
        for thread in self._threads:
            thread.join(5)
        self.relays.close()

    def is_running(self, vm: LabVm) -> bool:
        """Whether the VM's QEMU process is up (what ipmi_sim reports as power on)."""
        pid = _read_pid(vm.spec.directory / "qemu.pid")
        return pid is not None and Path(f"/proc/{pid}").exists()

    def _watch(self, stop: threading.Event) -> None:
        while not stop.wait(0.2):
            for vm in self.vms:
                self._look_at(vm)

    def _look_at(self, vm: LabVm) -> None:
        address = vm.bmc_address()
        if address:
            self.relays.serve(vm.name, address, vm.ports.lan)
        text = vm.console_text()
        fresh, vm.console_offset = text[vm.console_offset :], len(text)
        for mark, words in CONSOLE_MARKS.items():
            if words in fresh:
                vm.seen[mark] = time.time()  # the latest boot's, wall clock like Events

    def _vm(self, index: int) -> LabVm:
        directory = self.root / f"vm{index}"
        directory.mkdir(exist_ok=True)
        identity = _identity(directory, index)
        spec = VmSpec(
            name=f"vm{index}",
            uuid=identity["uuid"],
            serial=identity["serial"],
            mac=identity["mac"],
            directory=directory,
            kcs_port=_free_port(socket.SOCK_STREAM),
        )
        ports = BmcPorts(lan=_free_port(socket.SOCK_DGRAM), kcs=spec.kcs_port)
        return LabVm(spec=spec, ports=ports)


def _identity(directory: Path, index: int) -> dict:
    """The VM's SMBIOS UUID, serial and MAC: made once, kept in identity.json."""
    path = directory / "identity.json"
    if path.exists():
        return json.loads(path.read_text())
    made = uuid.uuid4()
    tail = [byte | 1 for byte in made.bytes[:4]]  # no zero byte
    if index % 2:
        tail[1] = 0  # every other VM with a zero byte: firmware has spelled those oddly
    identity = {
        "uuid": str(made),
        "serial": f"LAB{made.hex[:8].upper()}",
        "mac": ":".join(f"{byte:02x}" for byte in [0x52, 0x54, *tail]),
    }
    path.write_text(json.dumps(identity, indent=2) + "\n")
    return identity


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _kill_pidfile(path: Path) -> None:
    pid = _read_pid(path)
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
