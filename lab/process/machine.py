"""One simulated server: its identity, what its tools print, and its state, as files.

A machine is a directory. Stand-in tools (see `standin.py`) are tiny shell scripts
that read and write these files, so a booting agent costs the lab next to nothing
beyond the agent itself. What the agent reads from the kernel rather than through a
tool (its NICs in /sys/class/net, /proc/meminfo) has a copy there too.

The directory outlives the lab: started again on it, the machine keeps its power state,
its disk and the BMC its agent configured, as a rack does across a restart of the lab.
"""

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

LAB_NAMESPACE = uuid.UUID("0b1e4c3a-7f2d-4c6e-9a8b-5d4c3b2a1f00")


@dataclass(frozen=True)
class LabMachine:
    """Lab server number `index`, kept under `root`."""

    index: int
    root: Path

    @property
    def uuid(self) -> str:
        return str(uuid.uuid5(LAB_NAMESPACE, f"lab-machine-{self.index}"))

    @property
    def serial(self) -> str:
        return f"LAB{self.index:05d}"

    @property
    def mac(self) -> str:
        return f"02:1a:b0:00:{self.index >> 8 & 255:02x}:{self.index & 255:02x}"

    @property
    def memory_bytes(self) -> int:
        """16, 32 or 64 GiB: a rack of several models."""
        return 16 * 1024**3 << (self.index % 3)

    @property
    def is_new(self) -> bool:
        """Never created: no power state yet."""
        return not (self.root / "power").exists()

    def create(self) -> "LabMachine":
        """Lay out the machine's files: tool outputs and kernel views; a new machine is
        powered off with an empty disk, one created before keeps its state."""
        new = self.is_new
        self.root.mkdir(parents=True, exist_ok=True)
        self._kernel_views()
        outputs = {
            "dmidecode.out": self._dmidecode(),
            "lscpu.out": self._lscpu(),
            "lsblk.out": self._lsblk(),
            "lldpctl.out": self._lldpctl(),
            "lanprint.out": "IP Address Source       : DHCP Address\n"
            f"MAC Address             : 02:1a:b0:ff:{self.index >> 8 & 255:02x}:"
            f"{self.index & 255:02x}\n",
            "bmcinfo.out": "Device ID                 : 32\nFirmware Revision         : 1.00\n",
        }
        for name, text in outputs.items():
            (self.root / name).write_text(text)
        if new:
            self.set("os", "")
            self.set("power", "off")  # last: it marks the machine created
        return self

    def get(self, name: str) -> str:
        try:
            return (self.root / name).read_text().strip()
        except FileNotFoundError:
            return ""

    def set(self, name: str, value: str) -> None:
        (self.root / name).write_text(value + "\n")

    def bmc_settings(self) -> dict:
        """What the agent configured with ipmitool: address and users (from its log)."""
        settings = {"users": {}}
        for line in self.get("ipmitool.log").splitlines():
            words = line.split()
            if words[:3] == ["lan", "set", "1"] and words[3:4] == ["ipaddr"]:
                settings["address"] = words[4]
            elif words[:3] == ["user", "set", "name"]:
                settings["users"].setdefault(words[3], {})["name"] = words[4]
            elif words[:3] == ["user", "set", "password"]:
                settings["users"].setdefault(words[3], {})["password"] = words[4]
        return settings

    def _kernel_views(self) -> None:
        """The machine's one NIC as /sys/class/net shows it, and its /proc/meminfo."""
        nic = self.root / "sys" / "class" / "net" / "eth0"
        (nic / "device").mkdir(parents=True, exist_ok=True)  # a physical NIC has one
        attributes = {"address": self.mac, "type": "1", "carrier": "1", "speed": "25000"}
        for name, value in attributes.items():
            (nic / name).write_text(value + "\n")
        (self.root / "meminfo").write_text(f"MemTotal:       {self.memory_bytes // 1024} kB\n")

    def _dmidecode(self) -> str:
        return (
            "# dmidecode 3.4\nSMBIOS 3.2 present.\n\n"
            "Handle 0x0000, DMI type 0, 26 bytes\nBIOS Information\n"
            "\tVendor: Bearman Lab\n\tVersion: 1.0.0\n\n"
            "Handle 0x0100, DMI type 1, 27 bytes\nSystem Information\n"
            "\tManufacturer: Bearman Lab\n\tProduct Name: Virtual Server\n"
            f"\tSerial Number: {self.serial}\n\tUUID: {self.uuid.upper()}\n"
        )

    def _lscpu(self) -> str:
        fields = {
            "CPU(s):": "8",
            "Model name:": "Lab vCPU",
            "Thread(s) per core:": "2",
            "Core(s) per socket:": "4",
            "Socket(s):": "1",
        }
        return json.dumps({"lscpu": [{"field": k, "data": v} for k, v in fields.items()]})

    def _lsblk(self) -> str:
        disk = {
            "name": "vda",
            "model": "Lab Disk",
            "serial": f"D{self.serial}",
            "size": 64 * 1024**3,
            "rota": False,
            "type": "disk",
        }
        return json.dumps({"blockdevices": [disk]})

    def _lldpctl(self) -> str:
        chassis = {"id": {"type": "mac", "value": "02:00:00:00:00:01"}}
        port = {
            "id": {"type": "ifname", "value": f"swp{self.index % 48 + 1}"},
            "descr": f"{self.serial} eth0",
        }
        neighbour = {"chassis": {f"lab-tor-{self.index // 48}": chassis}, "port": port}
        return json.dumps({"lldp": {"interface": {"eth0": neighbour}}})
