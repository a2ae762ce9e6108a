"""Reading a node's hardware facts (the JSON the agent reports).

The shape, every part optional:
    {"cpu": {"model": str, "sockets": int, "cores": int, "threads": int},
     "memory_bytes": int,
     "disks": [{"name", "model", "serial", "size_bytes", "rotational"}],
     "nics": [{"name", "mac", "speed_mbps", "link",
               "lldp": {"chassis_id", "system_name", "port_id", "port_description"}}],
     "bmc": {"mac", "firmware"},
     "firmware": {"bios_version", "bios_date", ...}}
Readers here never fail on odd or partial facts: they show what is there. What is stored
is bounded (validate_facts_limits): every node page and API list carries it.
"""

import json

from django.core.exceptions import ValidationError

from bearman.validators import normalize_mac

# Well above real machines, far below what floods a web worker. The agent reports physical
# Ethernet ports only (no VLANs, bonds or SR-IOV functions); the densest servers have about
# 40. lsblk lists every SAS path of a disk: a storage head on two 102-bay JBODs over two
# paths shows 408. With all 128 NICs seen over LLDP and 512 disks, the stored JSON is about
# 95 KiB; a usual server's is 2 KiB. agent.proto documents these figures.
MAX_FACT_NICS = 128
MAX_FACT_DISKS = 512
MAX_FACTS_BYTES = 256 * 1024


def validate_facts_limits(facts: dict) -> None:
    """ValidationError when facts hold more NICs or disks, or more bytes, than a node may keep."""
    for key, limit in (("nics", MAX_FACT_NICS), ("disks", MAX_FACT_DISKS)):
        if len(facts.get(key) or ()) > limit:
            raise ValidationError(f"facts.{key} has more than {limit} entries")
    size = facts_size(facts)
    if size > MAX_FACTS_BYTES:
        raise ValidationError(
            f"facts take {size} bytes as JSON, more than the {MAX_FACTS_BYTES} a node may keep"
        )


def facts_size(facts: dict) -> int:
    """Bytes of the facts as compact UTF-8 JSON, about what the database and the API carry."""
    return len(json.dumps(facts, separators=(",", ":"), ensure_ascii=False).encode())


def _dicts(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def fact_nics(facts: dict) -> list[dict]:
    """One row per NIC: name, MAC, speed, link and its LLDP neighbour."""
    rows = []
    for nic in _dicts(_dict(facts).get("nics")):
        lldp = _dict(nic.get("lldp"))
        rows.append(
            {
                "name": nic.get("name", ""),
                "mac": nic.get("mac", ""),
                "speed": format_speed(nic.get("speed_mbps")),
                "link": {True: "up", False: "down"}.get(nic.get("link"), ""),
                "switch": lldp.get("system_name") or lldp.get("chassis_id", ""),
                "port": lldp.get("port_id", ""),
                "port_description": lldp.get("port_description", ""),
            }
        )
    return rows


def fact_disks(facts: dict) -> list[dict]:
    """One row per disk: name, model, serial, size and kind."""
    return [
        {
            "name": disk.get("name", ""),
            "model": disk.get("model", ""),
            "serial": disk.get("serial", ""),
            "size": format_bytes(disk.get("size_bytes")),
            "kind": {True: "HDD", False: "SSD"}.get(disk.get("rotational"), ""),
        }
        for disk in _dicts(_dict(facts).get("disks"))
    ]


def fact_cpu(facts: dict) -> str:
    """The CPU in one line, e.g. '2 × Intel Xeon Gold 6230 (40 cores, 80 threads)'."""
    cpu = _dict(_dict(facts).get("cpu"))
    if not cpu:
        return ""
    counts = [
        f"{cpu[key]} {label}"
        for key, label in (("cores", "cores"), ("threads", "threads"))
        if cpu.get(key)
    ]
    sockets = f"{cpu['sockets']} × " if cpu.get("sockets") else ""
    return f"{sockets}{cpu.get('model', 'unknown model')}" + (
        f" ({', '.join(counts)})" if counts else ""
    )


def fact_memory(facts: dict) -> str:
    """Installed memory, human-readable."""
    return format_bytes(_dict(facts).get("memory_bytes"))


def fact_firmware(facts: dict) -> dict[str, str]:
    """Firmware versions by component (BIOS, BMC, …)."""
    firmware = {str(k): str(v) for k, v in _dict(_dict(facts).get("firmware")).items()}
    bmc_firmware = _dict(_dict(facts).get("bmc")).get("firmware")
    if bmc_firmware:
        firmware.setdefault("bmc_firmware", str(bmc_firmware))
    return firmware


def fact_macs(facts: dict) -> list[str]:
    """Every valid MAC in the facts (NICs and BMC), normalised, without repeats."""
    candidates = [nic.get("mac") for nic in _dicts(_dict(facts).get("nics"))]
    candidates.append(_dict(_dict(facts).get("bmc")).get("mac"))
    macs = []
    for candidate in candidates:
        try:
            mac = normalize_mac(candidate) if candidate else None
        except ValidationError:  # odd agent output is shown, not indexed
            mac = None
        if mac and mac not in macs:
            macs.append(mac)
    return macs


def format_bytes(value) -> str:
    if not isinstance(value, int) or value < 0:
        return ""
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def format_speed(value) -> str:
    if not isinstance(value, int) or value <= 0:
        return ""
    return f"{value // 1000} Gb/s" if value >= 1000 else f"{value} Mb/s"
