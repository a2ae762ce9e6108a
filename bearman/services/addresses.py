"""Bearman's side of IPman: the addresses a node gets, through IPman's services only."""

from collections import defaultdict

from django.conf import settings

from bearman.models import BondMode, Node
from ipman import selectors as ipman_selectors
from ipman import services as ipman_services
from ipman.assignment import Assignment


def bmc_address_leases(*, zones: dict[str, str]) -> dict[str, Assignment]:
    """Each node's IPMI address in its zone's ipmi pool (the same one on every call).

    `zones` maps node UUIDs to their availability zones; one IPman call per zone.
    """
    by_zone = defaultdict(list)
    for uuid, zone in zones.items():
        by_zone[zone].append(uuid)
    leases = {}
    for zone, uuids in by_zone.items():
        assignments = ipman_services.ip_allocate_many_for(
            purpose="ipmi", availability_zone=zone, owners=[_ipmi_owner(uuid) for uuid in uuids]
        )
        leases.update(zip(uuids, assignments, strict=True))
    return leases


def availability_zones_for(*, agent_addresses: list[str]) -> dict[str, str]:
    """The zone of the provisioning pool holding each agent address, else the default."""
    pools = ipman_selectors.pools_containing(addresses=[a for a in agent_addresses if a])
    default = settings.BEARMAN_DEFAULT_AVAILABILITY_ZONE
    return {
        address: pool.availability_zone
        if (pool := pools.get(address)) is not None and pool.purpose == "provisioning"
        else default
        for address in agent_addresses
    }


def service_addresses_lease(*, node: Node) -> list[dict]:
    """One address from each of the node's flavor's service pools (PoolExhausted when full).

    The node holds them, so a redeploy, or a new Baremetal on the same node, keeps them.
    """
    flavor = node.flavor
    if flavor is None:
        return []
    interface = "bond0" if flavor.bond_mode != BondMode.NONE else _first_linked_nic(node)
    leases = [
        ipman_services.ip_allocate(pool=pool, owner=_service_owner(node.uuid))
        for pool in flavor.service_pools
    ]
    return [
        {
            "interface": interface,
            "address": lease.address,
            "prefix": lease.prefix_length,
            "gateway": lease.gateway,
            "vlan": lease.vlan,
            "pool": lease.pool,
        }
        for lease in leases
    ]


def service_addresses_release(*, node: Node) -> list[str]:
    """Give the node's service addresses back to IPman; returns them."""
    return ipman_services.ip_release(owner=_service_owner(node.uuid))


def node_addresses_release(*, uuid: str) -> list[str]:
    """Give back every address a node held, its BMC's and its services'; returns them."""
    return [
        *ipman_services.ip_release(owner=_ipmi_owner(uuid)),
        *ipman_services.ip_release(owner=_service_owner(uuid)),
    ]


def _ipmi_owner(uuid: str) -> str:
    return f"node/{uuid}/ipmi"


def _service_owner(uuid: str) -> str:
    return f"node/{uuid}/service"


def _first_linked_nic(node: Node) -> str:
    nics = node.facts.get("nics", []) if isinstance(node.facts, dict) else []
    return next((nic.get("name", "") for nic in nics if nic.get("link")), "")
