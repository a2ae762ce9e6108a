"""The rules: a node's facts against its flavor's expectations and its cabling plan.

Plain functions from (expectations, facts) to differences; no writes. The facts are what
the agent reported (bearman.facts documents their shape); a fact that is missing or odd
is a difference ("not reported"), never an error.
"""

import re
from dataclasses import dataclass

from bearman.facts import format_bytes, format_speed
from bearman.firmware_versions import VersionNotUnderstood, version_at_least
from bearman.models import DifferenceKind, DiskKind, Flavor
from bearman.models.flavor import cpu_pattern_regex

NOT_REPORTED = "not reported"
GIB = 1024**3
GB = 1000**3
TEXT_MAX = 255  # as the difference's columns


@dataclass(frozen=True)
class Difference:
    """One expectation the node does not meet."""

    rule: str
    kind: DifferenceKind
    component: str
    expected: str
    found: str

    @property
    def key(self) -> tuple[str, str]:
        """What a waiver names: the kind of difference and what it is about."""
        return (self.kind.value, self.component)


def node_differences(*, flavor: Flavor | None, facts: dict, links: dict) -> list[Difference]:
    """Every difference between the facts and the flavor and plan, once per kind and part.

    `links`: the node's planned links by NIC name (services.cabling.expected_links). The
    NICs the NIC rules look at are the planned ones when there is a plan, else all.
    """
    facts = facts if isinstance(facts, dict) else {}
    nics = {nic.get("name", ""): nic for nic in _dicts(facts.get("nics"))}
    checked = [name for name in links if name in nics] if links else list(nics)
    found = []
    if flavor is not None:
        found += cpu_differences(flavor, _dict(facts.get("cpu")))
        found += memory_differences(flavor, facts.get("memory_bytes"))
        found += disk_differences(flavor, _dicts(facts.get("disks")))
        found += nic_differences(flavor, nics, checked)
        found += firmware_differences(flavor, facts, [nics[name] for name in checked])
    found += cabling_differences(links, nics)
    # The NIC rule and the cabling rule both see a planned NIC without link: say it once.
    return list({difference.key: difference for difference in reversed(found)}.values())[::-1]


def cpu_differences(flavor: Flavor, cpu: dict) -> list[Difference]:
    found = []
    model = cpu.get("model") if isinstance(cpu.get("model"), str) else ""
    pattern = flavor.cpu_model_pattern
    if pattern and not _cpu_matches(pattern, model):
        found.append(
            Difference("cpu_model", DifferenceKind.CPU, "cpu_model", pattern, model or NOT_REPORTED)
        )
    cores = _int(cpu.get("cores"))
    if flavor.cpu_min_cores and cores < flavor.cpu_min_cores:
        found.append(
            Difference(
                "cpu_cores",
                DifferenceKind.CPU,
                "cpu_cores",
                f"at least {flavor.cpu_min_cores} cores",
                f"{cores} cores" if cores else NOT_REPORTED,
            )
        )
    return found


def _cpu_matches(pattern: str, model: str) -> bool:
    try:
        return bool(cpu_pattern_regex(pattern).search(model))
    except re.error:  # stored past the flavor's validation: a difference, not a crash
        return False


def memory_differences(flavor: Flavor, memory_bytes) -> list[Difference]:
    if not flavor.memory_gib:
        return []
    tolerance = flavor.memory_tolerance_percent / 100
    have = _int(memory_bytes) / GIB
    if flavor.memory_gib * (1 - tolerance) <= have <= flavor.memory_gib * (1 + tolerance):
        return []
    expected = f"{flavor.memory_gib} GiB ± {flavor.memory_tolerance_percent} %"
    shown = f"{have:.1f} GiB" if have else NOT_REPORTED
    return [Difference("memory", DifferenceKind.MEMORY, "memory", expected, shown)]


def disk_kind(disk: dict) -> DiskKind:
    """NVMe by its kernel name, else HDD when rotating, else SSD."""
    if str(disk.get("name", "")).startswith("nvme"):
        return DiskKind.NVME
    return DiskKind.HDD if disk.get("rotational") is True else DiskKind.SSD


def disk_differences(flavor: Flavor, disks: list[dict]) -> list[Difference]:
    if not flavor.disk_count:
        return []
    minimum = (flavor.disk_min_gb or 0) * GB
    fitting = [
        disk
        for disk in disks
        if (not flavor.disk_kind or disk_kind(disk) == flavor.disk_kind)
        and _int(disk.get("size_bytes")) >= minimum
    ]
    if len(fitting) >= flavor.disk_count:
        return []
    kind = DiskKind(flavor.disk_kind).value.upper() if flavor.disk_kind else "disks"
    size = f" of at least {flavor.disk_min_gb} GB" if flavor.disk_min_gb else ""
    expected = f"{flavor.disk_count} × {kind}{size}"
    listed = ", ".join(_disk_words(disk) for disk in disks)
    shown = f"{len(fitting)} fitting" + (f" (of {listed})" if listed else ", no disks")
    return [Difference("disks", DifferenceKind.DISK_MISSING, "disks", expected, shown)]


def _disk_words(disk: dict) -> str:
    size = format_bytes(_int(disk.get("size_bytes")))
    return f"{disk.get('name', '?')} {disk_kind(disk).value.upper()} {size}"


def nic_differences(flavor: Flavor, nics: dict[str, dict], checked: list[str]) -> list[Difference]:
    found = []
    if flavor.nic_count and len(nics) < flavor.nic_count:
        found.append(
            Difference(
                "nic_count",
                DifferenceKind.NIC_COUNT,
                "nics",
                f"at least {flavor.nic_count} NICs",
                f"{len(nics)} NICs ({', '.join(nics) or 'none'})",
            )
        )
    for name in checked:
        nic = nics[name]
        speed = _int(nic.get("speed_mbps"))
        if flavor.nic_link_required and nic.get("link") is not True:
            found.append(_link_down(name, "link up"))
        elif (
            flavor.nic_min_speed_mbps
            and nic.get("link") is True
            and speed < flavor.nic_min_speed_mbps
        ):
            found.append(
                Difference(
                    "nic_speed",
                    DifferenceKind.NIC_SLOW,
                    name,
                    f"at least {format_speed(flavor.nic_min_speed_mbps)}",
                    format_speed(speed) or "speed unknown",
                )
            )
    return found


def firmware_differences(flavor: Flavor, facts: dict, nics: list[dict]) -> list[Difference]:
    minimums = flavor.firmware_minimums if isinstance(flavor.firmware_minimums, dict) else {}
    versions = []
    if "bios" in minimums:
        bios = _dict(facts.get("firmware")).get("bios_version") or facts.get("bios_version")
        versions.append(("bios", minimums["bios"], bios))
    if "bmc" in minimums:
        versions.append(("bmc", minimums["bmc"], _dict(facts.get("bmc")).get("firmware")))
    if "nic" in minimums:
        # The agent reports no NIC firmware yet: each NIC then says "not reported".
        versions += [
            (f"nic:{nic.get('name', '')}", minimums["nic"], nic.get("firmware")) for nic in nics
        ]
    return [d for d in (_firmware(*version) for version in versions) if d is not None]


def _firmware(component: str, minimum: str, version) -> Difference | None:
    rule = f"firmware_{component.partition(':')[0]}"
    expected = f"{minimum} or newer"
    if not isinstance(version, str) or not version.strip():
        return Difference(
            rule, DifferenceKind.VERSION_NOT_UNDERSTOOD, component, expected, NOT_REPORTED
        )
    try:
        if version_at_least(version, minimum):
            return None
    except VersionNotUnderstood as error:
        return Difference(
            rule, DifferenceKind.VERSION_NOT_UNDERSTOOD, component, expected, _cut(str(error))
        )
    return Difference(
        rule, DifferenceKind.FIRMWARE_NEEDS_UPDATE, component, expected, _cut(version)
    )


def cabling_differences(links: dict, nics: dict[str, dict]) -> list[Difference]:
    """Each planned NIC must see its planned switch port; crossed when it sees another's."""
    found = []
    for name, link in links.items():
        expected = _cut(f"{link.switch} {link.port}")
        nic = nics.get(name)
        if nic is None:
            found.append(
                Difference("cabling", DifferenceKind.CABLING, name, expected, "NIC not reported")
            )
            continue
        if nic.get("link") is not True:
            found.append(_link_down(name, f"link up to {expected}"))
            continue
        switch, port, description = _neighbour(nic)
        if _sees(link, switch, port, description):
            continue
        seen = _cut(f"{switch} {port}".strip()) or "no LLDP neighbour"
        crossed = [
            other
            for other, theirs in links.items()
            if other != name and _sees(theirs, switch, port, description)
        ]
        if crossed:
            found.append(
                Difference(
                    "cabling",
                    DifferenceKind.CROSSED_CABLE,
                    name,
                    expected,
                    _cut(f"{seen}, planned for {crossed[0]}"),
                )
            )
        else:
            found.append(Difference("cabling", DifferenceKind.CABLING, name, expected, seen))
    return found


def _link_down(name: str, expected: str) -> Difference:
    return Difference("nic_link", DifferenceKind.LINK_DOWN, name, _cut(expected), "no link")


def _neighbour(nic: dict) -> tuple[str, str, str]:
    """(switch, port id, port description) of the NIC's LLDP neighbour, "" where unknown."""
    lldp = _dict(nic.get("lldp"))
    text = {key: lldp.get(key) if isinstance(lldp.get(key), str) else "" for key in lldp}
    switch = text.get("system_name") or text.get("chassis_id") or ""
    return switch, text.get("port_id", ""), text.get("port_description", "")


def _sees(link, switch: str, port: str, description: str) -> bool:
    """The neighbour is the planned one: its name (or the short name of it), and its port."""
    if not switch or not (port or description):
        return False
    planned = link.switch.casefold()
    names = {switch.casefold(), switch.casefold().split(".")[0]}
    if planned not in names and planned.split(".")[0] != switch.casefold():
        return False
    return link.port.casefold() in {port.casefold(), description.casefold()}


def _cut(text: str) -> str:
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"


def _int(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _dicts(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
