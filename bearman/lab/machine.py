"""One simulated server: its identity, its hardware as the tools print it, its state."""

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

LAB_NAMESPACE = uuid.UUID("0b1e4c3a-7f2d-4c6e-9a8b-5d4c3b2a1f00")
STANDINS = ("dmidecode", "lscpu", "lsblk", "lldpctl", "ipmitool", "poweroff", "reboot", "kexec")


@dataclass(frozen=True)
class LabMachine:
    """A lab server, number `index`, keeping its state under `root`."""

    index: int
    root: Path

    @property
    def uuid(self) -> str:
        return str(uuid.uuid5(LAB_NAMESPACE, f"lab-machine-{self.index}"))

    @property
    def serial(self) -> str:
        return f"LAB{self.index:05d}"

    def mac(self, nic: int) -> str:
        return f"02:1a:b0:{nic:02x}:{self.index >> 8 & 255:02x}:{self.index & 255:02x}"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    def state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except FileNotFoundError:
            return {"power": "off", "os": "", "bmc": {}}

    def update(self, **changes) -> dict:
        state = {**self.state(), **changes}
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(self.state_file)
        return state

    def tool_output(self, tool: str) -> str:
        """What the real tool would print on this machine (read-only tools)."""
        return {
            "dmidecode": self._dmidecode,
            "lscpu": self._lscpu,
            "lsblk": self._lsblk,
            "lldpctl": self._lldpctl,
        }[tool]()

    def _dmidecode(self) -> str:
        return (
            "# dmidecode 3.4\nSMBIOS 3.2 present.\n\n"
            "Handle 0x0000, DMI type 0, 26 bytes\nBIOS Information\n"
            "\tVendor: Bearman Lab\n\tVersion: 1.0.0\n\n"
            "Handle 0x0100, DMI type 1, 27 bytes\nSystem Information\n"
            "\tManufacturer: Bearman Lab\n\tProduct Name: Virtual Server\n"
            f"\tSerial Number: {self.serial}\n\tUUID: {self.uuid.upper()}\n\n"
            "Handle 0x0300, DMI type 3, 22 bytes\nChassis Information\n"
            f"\tManufacturer: Bearman Lab\n\tSerial Number: {self.serial}\n"
        )

    def _lscpu(self) -> str:
        fields = {
            "Architecture:": "x86_64",
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
        neighbour = {
            "chassis": {
                f"lab-tor-{self.index // 40}": {"id": {"type": "mac", "value": "02:00:00:00:00:01"}}
            },
            "port": {
                "id": {"type": "ifname", "value": f"swp{self.index % 40 + 1}"},
                "descr": f"{self.serial} eth0",
            },
        }
        return json.dumps({"lldp": {"interface": {"eth0": neighbour}}})

    def lan_print(self) -> str:
        bmc = self.state().get("bmc", {})
        return (
            "Set in Progress         : Set Complete\n"
            f"IP Address Source       : {bmc.get('ipsrc', 'DHCP Address')}\n"
            f"IP Address              : {bmc.get('ipaddr', '0.0.0.0')}\n"
            f"Subnet Mask             : {bmc.get('netmask', '0.0.0.0')}\n"
            f"MAC Address             : {self.mac(255)}\n"
            f"Default Gateway IP      : {bmc.get('defgw ipaddr', '0.0.0.0')}\n"
        )

    def bmc_info(self) -> str:
        return "Device ID                 : 32\nFirmware Revision         : 1.00\n"
