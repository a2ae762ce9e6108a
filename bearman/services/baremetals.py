"""Baremetals: a profile deployed on a node (create, change, redeploy, delete)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from bearman.models import Baremetal, EventKind, Node, PowerState, Profile
from bearman.states import DeployStatus

from .addresses import service_addresses_lease, service_addresses_release
from .events import FieldChanges, event_record
from .transitions import baremetal_transition

# What an operator may change on a Baremetal besides its status: the node and the profile
# change only by recreating it.
BAREMETAL_SETTINGS = frozenset({"hostname", "vlan"})
# A redeploy is a new run: nothing the previous run stamped, claimed or failed with is
# true of it (the transition itself clears the error and the agent token).
RUN_FIELDS_CLEARED = {
    "deploying_at": None,
    "detail_at": None,
    "installed_at": None,
    "failed_at": None,
    "claimed_from": None,
}


def baremetal_create(
    *, node: Node, profile: Profile, hostname: str, actor: str, vlan: int | None = None
) -> Baremetal:
    """Deploy `profile` on `node`: a new Baremetal in DEPLOY_START.

    Its service addresses come from IPman, one from each of the flavor's service pools;
    a full pool refuses the whole Baremetal (PoolExhausted) and nothing is kept.
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
            kind=EventKind.BAREMETAL,
            message=f"Baremetal {hostname} of profile {profile.name} created",
            actor=actor,
            data={"hostname": hostname, "profile": profile.name, "to": DeployStatus.DEPLOY_START},
        )
    return baremetal


def baremetal_delete(*, baremetal: Baremetal, actor: str) -> None:
    """Forget a Baremetal (the node keeps its OS) and give its addresses back to IPman."""
    node = baremetal.node
    with transaction.atomic():
        baremetal.delete()
        service_addresses_release(node=node)
        event_record(
            node=node,
            kind=EventKind.BAREMETAL,
            message=f"Baremetal {baremetal.hostname} removed",
            actor=actor,
            data={"hostname": baremetal.hostname},
        )


def baremetal_redeploy(*, baremetal: Baremetal, actor: str) -> Baremetal:
    """Start a Baremetal over (DEPLOY_START) from INSTALLED or UNRECOVERABLE_ERROR.

    A machine that is on goes on running its OS when powered on: the Event says to
    power cycle it, which is what starts the new run.
    """
    with transaction.atomic():
        baremetal_transition(
            baremetal=baremetal, to=DeployStatus.DEPLOY_START, actor=actor, also=RUN_FIELDS_CLEARED
        )
        if baremetal.node.power_state == PowerState.ON:
            event_record(
                node=baremetal.node,
                kind=EventKind.BAREMETAL,
                message=f"{baremetal.hostname}: the node is on, so a power on changes nothing: "
                "power cycle it to boot into the new deploy",
                actor=actor,
                data={"hostname": baremetal.hostname, "power_state": PowerState.ON.value},
            )
    return baremetal


def baremetal_update(
    *,
    baremetal: Baremetal,
    actor: str,
    status: DeployStatus | str | None = None,
    **changes: str | int | None,
) -> Baremetal:
    """Change a Baremetal's hostname, VLAN and status together: all of it, or nothing.

    Records an Event, which re-renders the node's script (the hostname is on its kernel line).
    """
    unknown = set(changes) - BAREMETAL_SETTINGS
    if unknown:
        raise TypeError(f"baremetal_update cannot change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        if status == DeployStatus.DEPLOY_START and status != baremetal.status:
            baremetal_redeploy(baremetal=baremetal, actor=actor)
        elif status is not None and status != baremetal.status:
            baremetal_transition(baremetal=baremetal, to=status, actor=actor)
        _apply_changes(baremetal=baremetal, changes=changes, actor=actor)
    return baremetal


def _apply_changes(*, baremetal: Baremetal, changes: dict, actor: str) -> None:
    changed = FieldChanges.between(baremetal, changes)
    if not changed:
        return
    changed.apply(baremetal)
    try:
        baremetal.full_clean()
    except ValidationError:
        changed.apply(baremetal, to="old")
        raise
    baremetal.save(update_fields=[*changed, "updated_at"])
    event_record(
        node=baremetal.node,
        kind=EventKind.BAREMETAL,
        message=f"{baremetal.hostname}: settings changed: {changed.described()}",
        actor=actor,
        data={"hostname": baremetal.hostname, "changes": changed.as_data()},
    )
