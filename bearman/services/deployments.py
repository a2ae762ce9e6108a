from django.db import transaction
from django.utils import timezone

from bearman.ipxe.rendered import ipxe_render_on_commit
from bearman.models import Baremetal, EventKind, Node, Profile
from bearman.states import DeployStatus

from .addresses import service_addresses_lease, service_addresses_release
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
        baremetal.addresses = service_addresses_lease(node=node)
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
        service_addresses_release(node=node)
        event_record(
            node=node,
            kind=EventKind.DEPLOYMENT,
            message=f"Deployment {baremetal.hostname} removed",
            actor=actor,
            data={"hostname": baremetal.hostname},
        )
        ipxe_render_on_commit(uuids=[node.uuid])
