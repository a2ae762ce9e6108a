"""Everything the agent finds out about the machine, as a dict shaped like the wire's Facts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bearman_agent.commands import DEFAULT_TIMEOUT
from bearman_agent.facts.bmc import collect_bmc
from bearman_agent.facts.cpu import collect_cpu
from bearman_agent.facts.disks import collect_disks
from bearman_agent.facts.dmidecode import collect_identity
from bearman_agent.facts.lldp import collect_neighbors
from bearman_agent.facts.memory import collect_memory_bytes
from bearman_agent.facts.net import read_nics
from bearman_agent.output import warn

Facts = dict[str, Any]
NO_NEIGHBOR = {"chassis_id": "", "system_name": "", "port_id": "", "port_description": ""}


def collect_facts(
    *,
    lldp_wait: float = 0.0,
    system_uuid: str | None = None,
    tool_timeout: float = DEFAULT_TIMEOUT,
) -> Facts:
    """Collect every fact, the slow tools in parallel; missing tools leave gaps and warnings."""
    # ipmitool and dmidecode can each take seconds on a real BMC: run the tools side by side.
    with ThreadPoolExecutor(max_workers=5) as pool:
        identity = pool.submit(collect_identity, tool_timeout)
        cpu = pool.submit(collect_cpu, tool_timeout)
        disks = pool.submit(collect_disks, tool_timeout)
        bmc = pool.submit(collect_bmc, tool_timeout)
        nics = read_nics()
        linked = [nic["name"] for nic in nics if nic["link"]]
        neighbors = pool.submit(collect_neighbors, lldp_wait, linked, tool_timeout)
        facts = _identity_fields(identity.result(), system_uuid)
        facts.update(
            cpu=cpu.result(),
            memory_bytes=collect_memory_bytes(),
            disks=disks.result(),
            nics=_with_neighbors(nics, neighbors.result()),
            bmc=bmc.result(),
        )
    return facts


def _with_neighbors(nics: list[dict[str, Any]], neighbors: dict[str, Any]) -> list[dict[str, Any]]:
    """Each NIC with its LLDP neighbour (all fields empty when lldpd saw none)."""
    return [dict(nic, lldp=neighbors.get(nic["name"], dict(NO_NEIGHBOR))) for nic in nics]


def _identity_fields(identity: dict[str, str], system_uuid: str | None) -> Facts:
    """The five identity facts, every one present; an explicit UUID wins over SMBIOS."""
    fields = ("system_uuid", "serial", "vendor", "product", "bios_version")
    facts: Facts = {name: identity.get(name, "") for name in fields}
    if system_uuid:
        facts["system_uuid"] = system_uuid.strip().lower()
    elif not facts["system_uuid"]:
        warn("no SMBIOS system UUID found (dmidecode, /sys/class/dmi/id)")
    return facts
