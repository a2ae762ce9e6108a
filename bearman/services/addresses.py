"""Bearman's side of IPman: the addresses a node gets, through IPman's services only."""

from django.conf import settings

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
