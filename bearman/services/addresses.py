"""Bearman's side of IPman: the addresses a node gets, through IPman's services only."""

from django.conf import settings

from bearman.models import BondMode, Node
from ipman import selectors as ipman_selectors
from ipman import services as ipman_services
from ipman.assignment import Assignment


def bmc_address_lease(*, uuid: str, availability_zone: str) -> Assignment:
    """The node's IPMI address in its zone's ipmi pool (the same one on every call)."""
    return ipman_services.ip_allocate_for(
        purpose="ipmi", availability_zone=availability_zone, owner=f"node/{uuid}/ipmi"
    )


def availability_zone_for(agent_address: str) -> str:
    """The zone of the provisioning pool holding the agent's address, else the default."""
    pool = ipman_selectors.pool_containing(address=agent_address) if agent_address else None
    if pool is not None and pool.purpose == "provisioning":
        return pool.availability_zone
    return settings.BEARMAN_DEFAULT_AVAILABILITY_ZONE


def service_addresses_lease(*, node: Node) -> list[dict]:
    """One address from each of the node's flavor's service pools (PoolExhausted when full).

    The node holds them, so a redeploy, or a new deployment on the same node, keeps them.
    """
    flavor = node.flavor
    if flavor is None:
        return []
    interface = "bond0" if flavor.bond_mode != BondMode.NONE else _first_linked_nic(node)
    leases = [
        ipman_services.ip_allocate(pool=pool, owner=_service_owner(node))
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
    return ipman_services.ip_release(owner=_service_owner(node))


def _service_owner(node: Node) -> str:
    return f"node/{node.uuid}/service"


def _first_linked_nic(node: Node) -> str:
    nics = node.facts.get("nics", []) if isinstance(node.facts, dict) else []
    return next((nic.get("name", "") for nic in nics if nic.get("link")), "")
