"""Facts built the way the agent builds them: its parsers on recorded outputs of real tools.

A machine is a vendor's recorded dmidecode, lscpu, lsblk, lldpctl and ipmitool outputs
(tests/agent/fixtures, SOURCES.md), a /proc/meminfo text and a /sys/class/net tree that
the agent's read_nics walks. A fault is one of these changed the way the fault shows on
a real machine (a disk gone from lsblk, a NIC's carrier 0).
"""

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from bearman.grpc.converters import facts_from_proto
from bearman.services.registration import RegistrationRequest
from bearman_agent.convert import facts_to_proto
from bearman_agent.facts import NO_NEIGHBOR
from bearman_agent.facts.bmc import parse_bmc_info, parse_lan_print
from bearman_agent.facts.cpu import parse_lscpu_json
from bearman_agent.facts.disks import parse_lsblk_json
from bearman_agent.facts.dmidecode import parse_dmidecode
from bearman_agent.facts.lldp import parse_lldpctl_json
from bearman_agent.facts.memory import parse_meminfo
from bearman_agent.facts.net import read_nics
from tests.agent.conftest import recorded

IDENTITY = ("system_uuid", "serial", "vendor", "product", "bios_version")


@dataclass(frozen=True)
class Nic:
    """A NIC as /sys/class/net shows it."""

    name: str
    mac: str
    speed_mbps: int
    carrier: bool = True


@dataclass(frozen=True)
class Machine:
    """One server's recorded tool outputs, as text."""

    dmidecode: str
    lscpu: str
    lsblk: str
    lldpctl: str
    lan_print: str
    bmc_info: str
    meminfo: str
    nics: tuple[Nic, ...] = field(default_factory=tuple)

    def changed(self, **changes) -> "Machine":
        return replace(self, **changes)

    def nic_changed(self, name: str, **changes) -> "Machine":
        nics = tuple(replace(n, **changes) if n.name == name else n for n in self.nics)
        return replace(self, nics=nics)


def recorded_machine(host: str, bmc: str, nics: tuple[Nic, ...]) -> Machine:
    """The recorded outputs named `host` (dmidecode, lscpu, lsblk, lldpctl) and `bmc`."""
    return Machine(
        dmidecode=recorded("dmidecode", f"{host}.txt"),
        **{tool: recorded(tool, f"{host}.json") for tool in ("lscpu", "lsblk", "lldpctl")},
        lan_print=recorded("ipmitool", f"{bmc}.lan-print.txt"),
        bmc_info=recorded("ipmitool", f"{bmc}.bmc-info.txt"),
        # The one recorded /proc/meminfo: a 384 GiB machine's (both vendors' here are).
        meminfo=recorded("meminfo", "dell-poweredge-r640.txt"),
        nics=nics,
    )


def dell_r640() -> Machine:
    """Dell PowerEdge R640: 2 × Gold 6230, 384 GiB, a PERC SSD and HDD volume, iDRAC9."""
    nics = (Nic("eno1", "e4:43:4b:1a:2b:30", 10000), Nic("eno2", "e4:43:4b:1a:2b:31", 10000))
    return recorded_machine("dell-poweredge-r640", "dell-idrac9", nics)


def hpe_dl380() -> Machine:
    """HPE ProLiant DL380 Gen10: 2 × Gold 6248R, two Smart Array volumes, iLO 5, two
    25 Gb/s ports to two Nexus leaves and an onboard 1 Gb/s port without a cable."""
    nics = (
        Nic("eno1", "94:40:c9:37:87:40", 0, carrier=False),
        Nic("ens1f0", "b8:83:03:6a:11:20", 25000),
        Nic("ens1f1", "b8:83:03:6a:11:21", 25000),
    )
    return recorded_machine("hpe-proliant-dl380-gen10", "hpe-ilo5", nics)


def supermicro_1029u() -> Machine:
    """Supermicro SYS-1029U-TR4: 2 × Silver 4214, two NVMe drives and a SATA SSD, X11 BMC;
    eno1 to a Juniper QFX (the port's name only in its description), eno2 to a switch that
    sends no system name (known by its chassis MAC)."""
    nics = (Nic("eno1", "ac:1f:6b:4e:3a:10", 10000), Nic("eno2", "ac:1f:6b:4e:3a:11", 10000))
    return recorded_machine("supermicro-sys-1029u-tr4", "supermicro-x11", nics)


def without_disk(lsblk: str, name: str) -> str:
    """lsblk's JSON with one device gone (a failed or unseated drive)."""
    document = json.loads(lsblk)
    document["blockdevices"] = [d for d in document["blockdevices"] if d["name"] != name]
    return json.dumps(document)


def with_memtotal_kib(meminfo: str, kib: int) -> str:
    """/proc/meminfo with another MemTotal (DIMMs missing or failed at POST)."""
    lines = [
        f"MemTotal:       {kib} kB" if line.startswith("MemTotal:") else line
        for line in meminfo.splitlines()
    ]
    return "\n".join(lines) + "\n"


def write_sysfs_net(root: Path, nics: tuple[Nic, ...]) -> Path:
    """A /sys/class/net tree for these NICs (device-backed Ethernet, as the kernel shows)."""
    for nic in nics:
        path = root / nic.name
        (path / "device").mkdir(parents=True, exist_ok=True)
        (path / "type").write_text("1\n")
        (path / "address").write_text(f"{nic.mac}\n")
        # Without carrier the kernel refuses to read the speed, or says -1.
        (path / "speed").write_text(f"{nic.speed_mbps if nic.carrier else -1}\n")
        (path / "carrier").write_text("1\n" if nic.carrier else "0\n")
    return root


def agent_facts(machine: Machine, sysfs: Path) -> dict:
    """The facts dict as bearman_agent.facts.collect_facts assembles it."""
    identity = parse_dmidecode(machine.dmidecode)
    neighbors = parse_lldpctl_json(machine.lldpctl)
    nics = read_nics(write_sysfs_net(sysfs, machine.nics))
    bmc = parse_lan_print(machine.lan_print) | parse_bmc_info(machine.bmc_info)
    return {
        **{name: identity.get(name, "") for name in IDENTITY},
        "cpu": parse_lscpu_json(machine.lscpu),
        "memory_bytes": parse_meminfo(machine.meminfo),
        "disks": parse_lsblk_json(machine.lsblk),
        "nics": [dict(nic, lldp=neighbors.get(nic["name"], dict(NO_NEIGHBOR))) for nic in nics],
        "bmc": {"mac": bmc.get("mac", ""), "firmware": bmc.get("firmware", "")},
    }


def registration_request(machine: Machine, sysfs: Path) -> RegistrationRequest:
    """The Register call the agent makes, through the wire types and the server's checks."""
    identity, hardware = facts_from_proto(facts_to_proto(agent_facts(machine, sysfs)))
    return RegistrationRequest(
        identity=identity,
        facts=hardware,
        agent_address="10.10.0.9",
        agent_version="0.1.0",
        peer_address="10.10.0.9",
    )
