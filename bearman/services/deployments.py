from django.db import transaction
from django.utils import timezone

from bearman.ipxe.rendered import ipxe_render_on_commit
from bearman.models import Baremetal, BondMode, EventKind, Node, Profile
from bearman.states import DeployStatus
from ipman.services import ip_allocate, ip_release

from .events import event_record


def baremetal_create(
    *, node: Node, profile: Profile, hostname: str, actor: str, vlan: int | None = None
) -> Baremetal:
    """Start a deployment of `profile` on `node`: a Baremetal in DEPLOY_START.

    Its service addresses come from IPman, one from each of the flavor's service pools;
    a full pool refuses the whole deployment (PoolExhausted) and nothing is kept.
    """
    with transaction.atomic():
        baremetal = Baremetal(
            node=node,
            profile=profile,
            hostname=hostname,
            vlan=vlan if vlan is not None else (node.flavor.vlan if node.flavor else None),
            status=DeployStatus.DEPLOY_START,
            deploy_started_at=timezone.now(),
        )
        baremetal.full_clean()
        baremetal.addresses = _service_addresses(node=node)
        baremetal.save()
        event_record(
            node=node,
            kind=EventKind.DEPLOYMENT,
            message=f"Deployment {hostname} of profile {profile.name} created",
            actor=actor,
            data={"hostname": hostname, "profile": profile.name, "to": DeployStatus.DEPLOY_START},
        )
        ipxe_render_on_commit(uuids=[node.uuid])
    return baremetal


def baremetal_delete(*, baremetal: Baremetal, actor: str) -> None:
    """Forget a deployment (the node keeps its OS) and give its addresses back to IPman."""
    node = baremetal.node
    with transaction.atomic():
        baremetal.delete()
        ip_release(owner=service_owner(node))
        event_record(
            node=node,
            kind=EventKind.DEPLOYMENT,
            message=f"Deployment {baremetal.hostname} removed",
            actor=actor,
            data={"hostname": baremetal.hostname},
        )
        ipxe_render_on_commit(uuids=[node.uuid])


def service_owner(node: Node) -> str:
    """Who holds a node's service addresses in IPman: the node, so a redeploy keeps them."""
    return f"node/{node.uuid}/service"


def _service_addresses(*, node: Node) -> list[dict]:
    flavor = node.flavor
    if flavor is None:
        return []
    interface = "bond0" if flavor.bond_mode != BondMode.NONE else _first_linked_nic(node)
    addresses = []
    for pool in flavor.service_pools:
        held = ip_allocate(pool=pool, owner=service_owner(node))
        addresses.append(
            {
                "interface": interface,
                "address": held.address,
                "prefix": held.prefix_length,
                "gateway": held.gateway,
                "vlan": held.vlan,
                "pool": held.pool,
            }
        )
    return addresses


def _first_linked_nic(node: Node) -> str:
    nics = node.facts.get("nics", []) if isinstance(node.facts, dict) else []
    return next((nic.get("name", "") for nic in nics if nic.get("link")), "")
