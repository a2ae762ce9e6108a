"""The collectors against this machine's real tools and files, and against missing tools."""

from __future__ import annotations

import os
import re
from pathlib import Path

from bearman_agent.facts import collect_facts
from bearman_agent.facts.bmc import collect_bmc
from bearman_agent.facts.cpu import collect_cpu
from bearman_agent.facts.disks import collect_disks
from bearman_agent.facts.dmidecode import collect_identity
from bearman_agent.facts.lldp import collect_neighbors
from bearman_agent.facts.memory import collect_memory_bytes
from bearman_agent.facts.net import read_nics
from tests.agent.conftest import require_tool

MAC = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
UUID = re.compile(r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")
HAS_SMBIOS = Path("/sys/firmware/dmi/tables").exists()
HAS_IPMI = any(Path(p).exists() for p in ("/dev/ipmi0", "/dev/ipmi/0", "/dev/ipmidev/0"))


def test_memory_of_this_machine_is_plausible():
    assert collect_memory_bytes() > 256 * 1024**2


def test_cpu_of_this_machine_matches_the_cpus_python_sees():
    require_tool("lscpu")
    cpu = collect_cpu()
    assert cpu["threads"] == os.cpu_count()
    assert 1 <= cpu["sockets"] <= cpu["cores"] <= cpu["threads"]
    assert cpu["model"]


def test_nics_of_this_machine_have_the_macs_sysfs_has():
    nics = read_nics()
    assert nics, "this machine has at least one physical NIC"
    for nic in nics:
        assert nic["name"] != "lo"
        assert MAC.match(nic["mac"])
        assert nic["mac"] == Path(f"/sys/class/net/{nic['name']}/address").read_text().strip()
        assert Path(f"/sys/class/net/{nic['name']}/device").exists()


def test_disks_of_this_machine_are_real_block_devices():
    require_tool("lsblk")
    disks = collect_disks()
    assert disks, "this machine has at least one disk"
    for disk in disks:
        assert Path(f"/sys/block/{disk['name']}").exists()
        assert disk["size_bytes"] > 0
        assert not disk["name"].startswith(("zram", "loop"))


def test_identity_of_this_machine(capsys):
    require_tool("dmidecode")
    identity = collect_identity()
    if HAS_SMBIOS:
        assert UUID.match(identity["system_uuid"])
    else:
        # This development machine is a microVM without SMBIOS: a warning, not a crash.
        assert "system_uuid" not in identity
        assert "dmidecode exited with status 1" in capsys.readouterr().err


def test_bmc_of_this_machine(capsys):
    require_tool("ipmitool")
    bmc = collect_bmc()
    if HAS_IPMI:
        assert MAC.match(bmc["mac"])
    else:
        assert bmc == {"mac": "", "firmware": ""}
        err = capsys.readouterr().err
        assert err.count("BMC facts incomplete") == 1, "the same failure is said once"


def test_lldp_of_this_machine_without_lldpd_warns(capsys):
    require_tool("lldpctl")
    if Path("/run/lldpd.socket").exists():
        neighbors = collect_neighbors()
        assert all(
            set(n) == {"chassis_id", "system_name", "port_id", "port_description"}
            for n in neighbors.values()
        )
    else:
        assert collect_neighbors() == {}
        assert "no LLDP neighbours" in capsys.readouterr().err


def test_facts_without_any_tool_are_partial_with_a_warning_each(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    facts = collect_facts()
    err = capsys.readouterr().err
    for tool in ("dmidecode", "lscpu", "lsblk", "ipmitool", "lldpctl"):
        assert f"{tool} not found" in err
    # What the kernel tells without tools is still there.
    assert facts["memory_bytes"] > 0
    assert facts["cpu"]["threads"] == os.cpu_count()
    assert facts["nics"] and all(MAC.match(nic["mac"]) for nic in facts["nics"])
    assert facts["disks"] == []
    assert facts["system_uuid"] == ""


def _interface(
    root: Path,
    name: str,
    *,
    device: bool,
    kind: str = "1",
    mac: str = "",
    carrier: str | None = "1",
    speed: str | None = "10000",
) -> None:
    """An interface directory laid out as the kernel lays out /sys/class/net/<name>."""
    path = root / name
    path.mkdir()
    if device:
        (path / "device").mkdir()
    (path / "type").write_text(kind + "\n")
    (path / "address").write_text(mac + "\n")
    for attribute, value in (("carrier", carrier), ("speed", speed)):
        if value is not None:
            (path / attribute).write_text(value + "\n")


def test_nics_skip_loopback_virtual_and_infiniband_devices(tmp_path):
    _interface(tmp_path, "lo", device=False, kind="772", mac="00:00:00:00:00:00")
    _interface(tmp_path, "bond0", device=False, mac="aa:bb:cc:00:00:01")
    _interface(tmp_path, "ib0", device=True, kind="32", mac="80:00:02:08:fe:80:00:00:00:00")
    _interface(tmp_path, "eno1", device=True, mac="AA:BB:CC:00:00:02")
    # A down link: the kernel refuses to read carrier and reports speed -1.
    _interface(tmp_path, "eno2", device=True, mac="aa:bb:cc:00:00:03", carrier=None, speed="-1")
    assert read_nics(tmp_path) == [
        {"name": "eno1", "mac": "aa:bb:cc:00:00:02", "speed_mbps": 10000, "link": True},
        {"name": "eno2", "mac": "aa:bb:cc:00:00:03", "speed_mbps": 0, "link": False},
    ]


def test_nics_of_a_missing_directory_warn(tmp_path, capsys):
    assert read_nics(tmp_path / "absent") == []
    assert "cannot list network interfaces" in capsys.readouterr().err


def test_nic_without_speed_has_speed_zero(tmp_path):
    _interface(tmp_path, "eno1", device=True, mac="aa:bb:cc:00:00:02", speed=None)
    assert read_nics(tmp_path) == [
        {"name": "eno1", "mac": "aa:bb:cc:00:00:02", "speed_mbps": 0, "link": True}
    ]


def test_nic_without_a_mac_is_left_out_with_a_warning(tmp_path, capsys):
    _interface(tmp_path, "eno1", device=True, mac="")
    assert read_nics(tmp_path) == []
    assert "eno1: no MAC address readable" in capsys.readouterr().err
