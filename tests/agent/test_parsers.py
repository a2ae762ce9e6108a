"""Every parser on the recorded outputs of Dell, HPE, Supermicro, QEMU and this machine."""

from __future__ import annotations

import pytest

from bearman_agent.errors import FactsParseError
from bearman_agent.facts.bmc import parse_bmc_info, parse_lan_print
from bearman_agent.facts.cpu import parse_cpuinfo, parse_lscpu_json
from bearman_agent.facts.disks import parse_lsblk_json
from bearman_agent.facts.dmidecode import parse_dmidecode
from bearman_agent.facts.lldp import parse_lldpctl_json
from bearman_agent.facts.memory import parse_meminfo
from tests.agent.conftest import recorded

DMIDECODE = {
    "dell-poweredge-r640.txt": {
        "system_uuid": "4c4c4544-0058-4b10-8034-b7c04f505732",
        "serial": "7XK4PW2",
        "vendor": "Dell Inc.",
        "product": "PowerEdge R640",
        "bios_version": "2.17.1",
    },
    "hpe-proliant-dl380-gen10.txt": {
        "system_uuid": "37383638-3330-4d32-3239-3034304b5131",
        "serial": "CZJ9470KQ1",
        "vendor": "HPE",
        "product": "ProLiant DL380 Gen10",
        "bios_version": "U30 v2.80",  # the ROM family and its BIOS Revision, as HPE writes it
    },
    # The system serial is the placeholder 0123456789: the chassis serial is the real one.
    "supermicro-sys-1029u-tr4.txt": {
        "system_uuid": "00000000-0000-0000-0000-ac1f6b4e3a10",
        "serial": "C1160LK27A50123",
        "vendor": "Supermicro",
        "product": "SYS-1029U-TR4",
        "bios_version": "3.4",
    },
    # Uppercase in SMBIOS, lowercase like iPXE's ${uuid}; "Not Specified" is no serial.
    "qemu-kvm-q35.txt": {
        "system_uuid": "5a1b7c3e-9d2f-4e61-8b0a-3c4d5e6f7081",
        "vendor": "QEMU",
        "product": "Standard PC (Q35 + ICH9, 2009)",
        "bios_version": "1.16.2-debian-1.16.2-1",
    },
}


@pytest.mark.parametrize("name", sorted(DMIDECODE))
def test_dmidecode_vendor_outputs(name):
    assert parse_dmidecode(recorded("dmidecode", name)) == DMIDECODE[name]


def test_dmidecode_truncated_uuid_is_dropped_with_a_warning(capsys):
    facts = parse_dmidecode(recorded("dmidecode", "broken-truncated-dell.txt"))
    assert facts == {
        "serial": "7XK4PW2",
        "vendor": "Dell Inc.",
        "product": "PowerEdge R640",
        "bios_version": "2.17.1",
    }
    assert "ignoring unusable SMBIOS system UUID '4c4c4544-0058-4b1'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name", ["empty.txt", "broken-binary-garbage.txt", "live-firecracker-no-smbios.txt"]
)
def test_dmidecode_without_tables_gives_nothing(name):
    assert parse_dmidecode(recorded("dmidecode", name)) == {}


def test_dmidecode_all_zero_uuid_is_no_uuid():
    text = "System Information\n\tUUID: 00000000-0000-0000-0000-000000000000\n"
    assert parse_dmidecode(text) == {}


LSCPU = {
    "dell-poweredge-r640.json": ("Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz", 2, 40, 80),
    "hpe-proliant-dl380-gen10.json": ("Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz", 2, 48, 96),
    "supermicro-sys-1029u-tr4.json": ("Intel(R) Xeon(R) Silver 4214 CPU @ 2.20GHz", 2, 24, 48),
    "qemu-kvm-q35.json": ("QEMU Virtual CPU version 2.5+", 4, 4, 4),
    "live-firecracker-kvm.json": ("AMD EPYC", 1, 2, 2),
}


@pytest.mark.parametrize("name", sorted(LSCPU))
def test_lscpu_vendor_outputs(name):
    model, sockets, cores, threads = LSCPU[name]
    cpu = parse_lscpu_json(recorded("lscpu", name))
    assert cpu == {"model": model, "sockets": sockets, "cores": cores, "threads": threads}


@pytest.mark.parametrize(
    "name, problem",
    [
        ("broken-truncated.json", "invalid JSON"),
        ("empty.txt", "invalid JSON"),
        ("broken-not-lscpu.json", 'no "lscpu" list'),
    ],
)
def test_lscpu_broken_outputs_raise_a_clear_error(name, problem):
    with pytest.raises(FactsParseError, match=problem):
        parse_lscpu_json(recorded("lscpu", name))


def test_cpuinfo_counts_sockets_cores_and_threads():
    cpu = parse_cpuinfo(recorded("cpuinfo", "two-socket-hyperthreaded.txt"))
    assert cpu == {
        "model": "Intel(R) Xeon(R) Silver 4215R CPU @ 3.20GHz",
        "sockets": 2,
        "cores": 4,
        "threads": 8,
    }


def test_cpuinfo_of_this_machine_agrees_with_its_lscpu():
    from_cpuinfo = parse_cpuinfo(recorded("cpuinfo", "live-firecracker-kvm.txt"))
    from_lscpu = parse_lscpu_json(recorded("lscpu", "live-firecracker-kvm.json"))
    assert from_cpuinfo == from_lscpu


def test_cpuinfo_empty_gives_zero_counts():
    assert parse_cpuinfo("") == {"model": "", "sockets": 0, "cores": 0, "threads": 0}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("dell-poweredge-r640.txt", 394853120 * 1024),
        ("live-firecracker-kvm.txt", 24684096 * 1024),
        ("broken-no-memtotal.txt", 0),
        ("empty.txt", 0),
    ],
)
def test_meminfo(name, expected):
    assert parse_meminfo(recorded("meminfo", name)) == expected


def _disk(name, model, serial, size, rotational):
    return {
        "name": name,
        "model": model,
        "serial": serial,
        "size_bytes": size,
        "rotational": rotational,
    }


LSBLK = {
    # util-linux 2.32 prints sizes and ROTA as strings; the CD-ROM is not a disk.
    "dell-poweredge-r640.json": [
        _disk("sda", "PERC H730P Mini", "6d0946606d2a8b0028f4f1a01b4c2e61", 479559942144, False),
        _disk("sdb", "PERC H730P Mini", "6d0946606d2a8b0028f4f1c61d7a9b35", 3999688294400, True),
    ],
    "hpe-proliant-dl380-gen10.json": [
        _disk("sda", "LOGICAL VOLUME", "600508b1001c3b6a4f2d1e9c8b7a6f50", 480070426624, False),
        _disk("sdb", "LOGICAL VOLUME", "600508b1001c9e8d7c6b5a4f3e2d1c0b", 7681459994624, True),
    ],
    "supermicro-sys-1029u-tr4.json": [
        _disk("nvme0n1", "SAMSUNG MZQLB1T9HAJR-00007", "S439NA0MB01234", 1920383410176, False),
        _disk("nvme1n1", "SAMSUNG MZQLB1T9HAJR-00007", "S439NA0MB05678", 1920383410176, False),
        _disk("sda", "SAMSUNG MZ7LH480HAHQ-00005", "S45PNA0M512345", 480103981056, False),
    ],
    "qemu-kvm-q35.json": [
        _disk("vda", "", "", 21474836480, True),
        _disk("vdb", "", "data-disk-1", 107374182400, True),
    ],
    "live-firecracker-kvm.json": [_disk("vda", "", "", 274877906944, True)],
}


@pytest.mark.parametrize("name", sorted(LSBLK))
def test_lsblk_vendor_outputs(name):
    assert parse_lsblk_json(recorded("lsblk", name)) == LSBLK[name]


@pytest.mark.parametrize(
    "name, problem",
    [
        ("broken-truncated.json", "invalid JSON"),
        ("empty.txt", "invalid JSON"),
        ("broken-wrong-shape.json", 'no "blockdevices" list'),
    ],
)
def test_lsblk_broken_outputs_raise_a_clear_error(name, problem):
    with pytest.raises(FactsParseError, match=problem):
        parse_lsblk_json(recorded("lsblk", name))


BMC = {
    "dell-idrac9": ("d0:94:66:2a:8b:0e", "6.10"),
    "hpe-ilo5": ("94:40:c9:37:87:32", "2.78"),
    "supermicro-x11": ("ac:1f:6b:4e:3a:12", "1.73"),
    "qemu-ipmi-bmc-sim": (None, "0.00"),
    "live-firecracker-no-bmc": (None, None),
}


@pytest.mark.parametrize("bmc", sorted(BMC))
def test_ipmitool_vendor_outputs(bmc):
    mac, firmware = BMC[bmc]
    lan = parse_lan_print(recorded("ipmitool", f"{bmc}.lan-print.txt"))
    info = parse_bmc_info(recorded("ipmitool", f"{bmc}.bmc-info.txt"))
    assert lan == ({"mac": mac} if mac else {})
    assert info == ({"firmware": firmware} if firmware else {})


@pytest.mark.parametrize("name", ["broken-garbled.txt", "empty.txt"])
def test_ipmitool_broken_outputs_give_nothing(name):
    text = recorded("ipmitool", name)
    assert parse_lan_print(text) == {}
    assert parse_bmc_info(text) == {}


def _neighbor(chassis_id, system_name, port_id, port_description):
    return {
        "chassis_id": chassis_id,
        "system_name": system_name,
        "port_id": port_id,
        "port_description": port_description,
    }


LLDP = {
    "dell-poweredge-r640.json": {
        "eno1": _neighbor("44:4c:a8:e1:07:3b", "leaf-r12-a.dc1", "Ethernet12", "r12-u07 eno1"),
    },
    "hpe-proliant-dl380-gen10.json": {
        "ens1f0": _neighbor("00:3a:9c:5f:21:80", "n9k-leaf-03", "Eth1/17", "Ethernet1/17"),
        "ens1f1": _neighbor("00:3a:9c:5f:4c:00", "n9k-leaf-04", "Eth1/17", "Ethernet1/17"),
    },
    "supermicro-sys-1029u-tr4.json": {
        "eno1": _neighbor("b0:33:a6:1c:9e:00", "qfx5120-r03", "526", "xe-0/0/14"),
        "eno2": _neighbor("2c:ea:7f:81:55:10", "", "2c:ea:7f:81:55:1e", ""),
    },
    "qemu-kvm-q35.json": {},
    "live-firecracker-no-neighbors.json": {},
}


@pytest.mark.parametrize("name", sorted(LLDP))
def test_lldpctl_vendor_outputs(name):
    assert parse_lldpctl_json(recorded("lldpctl", name)) == LLDP[name]


@pytest.mark.parametrize(
    "name, problem",
    [
        ("broken-truncated.json", "invalid JSON"),
        ("empty.txt", "invalid JSON"),
        ("broken-json0-format.json", 'no "lldp" object'),
    ],
)
def test_lldpctl_broken_outputs_raise_a_clear_error(name, problem):
    with pytest.raises(FactsParseError, match=problem):
        parse_lldpctl_json(recorded("lldpctl", name))
