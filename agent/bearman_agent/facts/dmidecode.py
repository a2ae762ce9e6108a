"""System identity from SMBIOS: `dmidecode -t 0,1,3`, or /sys/class/dmi/id without it."""

from __future__ import annotations

import re
from pathlib import Path

from bearman_agent.commands import DEFAULT_TIMEOUT, run_tool
from bearman_agent.errors import CommandFailed, ToolMissing
from bearman_agent.output import warn

COMMAND = ("dmidecode", "-t", "0,1,3")
SYSFS_DMI = Path("/sys/class/dmi/id")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# A ROM family with no version number in it: HPE's "U30", whose release is the BIOS Revision.
ROM_FAMILY = re.compile(r"^[A-Z]\d{1,3}$")

# Values firmware vendors leave in unset fields; they identify nothing.
PLACEHOLDERS = {
    "",
    "not specified",
    "not settable",
    "not present",
    "not available",
    "to be filled by o.e.m.",
    "default string",
    "system serial number",
    "none",
    "0123456789",
    "n/a",
}

# (section, field) -> fact, in order of preference for each fact.
FIELDS = (
    ("System Information", "UUID", "system_uuid"),
    ("System Information", "Serial Number", "serial"),
    ("Chassis Information", "Serial Number", "serial"),
    ("System Information", "Manufacturer", "vendor"),
    ("System Information", "Product Name", "product"),
    ("BIOS Information", "Version", "bios_version"),
)

SYSFS_FIELDS = (
    ("product_uuid", "system_uuid"),
    ("product_serial", "serial"),
    ("chassis_serial", "serial"),
    ("sys_vendor", "vendor"),
    ("product_name", "product"),
    ("bios_version", "bios_version"),
)


def parse_dmidecode(text: str) -> dict[str, str]:
    """The identity facts found in dmidecode's text output (placeholders dropped)."""
    sections = _sections(text)
    facts: dict[str, str] = {}
    for section, name, fact in FIELDS:
        if fact in facts:
            continue
        for values in sections.get(section, []):
            value = clean_value(values.get(name, ""))
            if value:
                facts[fact] = value
                break
    return _with_clean_uuid(_with_bios_release(facts, sections))


def _with_bios_release(facts: dict[str, str], sections) -> dict[str, str]:
    """ "U30" becomes "U30 v2.80", as HPE writes its ROM versions: the family alone says
    nothing about how old the firmware is."""
    family = facts.get("bios_version", "")
    bios = sections.get("BIOS Information", [{}])[0]
    release = clean_value(bios.get("BIOS Revision", ""))
    if ROM_FAMILY.match(family) and re.fullmatch(r"\d+\.\d+", release):
        facts["bios_version"] = f"{family} v{release}"
    return facts


def _sections(text: str) -> dict[str, list[dict[str, str]]]:
    """Each titled section of dmidecode's output as a list of `name: value` maps."""
    sections: dict[str, list[dict[str, str]]] = {}
    current: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line[0].isspace():
            current = {}
            sections.setdefault(line.strip(), []).append(current)
        elif line.startswith("\t") and not line.startswith("\t\t") and ":" in line:
            name, _, value = line.strip().partition(":")
            current[name.strip()] = value.strip()
    return sections


def _with_clean_uuid(facts: dict[str, str]) -> dict[str, str]:
    """Lowercase the UUID; drop malformed ones and the all-zero and all-F ones of unset firmware."""
    uuid = facts.pop("system_uuid", "").lower()
    if UUID.match(uuid) and uuid.strip("0-") and uuid.strip("f-"):
        facts["system_uuid"] = uuid
    elif uuid:
        warn(f"ignoring unusable SMBIOS system UUID {uuid!r}")
    return facts


def clean_value(value: str) -> str:
    """The value, or "" when it is a firmware placeholder."""
    value = value.strip()
    return "" if value.lower() in PLACEHOLDERS else value


def read_sysfs_dmi(root: Path = SYSFS_DMI) -> dict[str, str]:
    """The same facts from the kernel's /sys/class/dmi/id files (product_uuid needs root)."""
    facts: dict[str, str] = {}
    for filename, fact in SYSFS_FIELDS:
        if fact in facts:
            continue
        try:
            value = clean_value((root / filename).read_text(errors="replace"))
        except OSError:
            continue
        if value:
            facts[fact] = value
    return _with_clean_uuid(facts)


def collect_identity(timeout: float = DEFAULT_TIMEOUT) -> dict[str, str]:
    """Identity facts from dmidecode, filled in from sysfs; warns about what is missing."""
    try:
        facts = parse_dmidecode(run_tool(COMMAND, timeout))
    except (ToolMissing, CommandFailed) as problem:
        warn(str(problem))
        facts = {}
    for fact, value in read_sysfs_dmi().items():
        facts.setdefault(fact, value)
    return facts
