"""The Baremetal calls of the agent: profile, detail, installed, failed."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bearman.errors import (
    BaremetalClaimed,
    BaremetalNotPending,
    NodeNotFound,
    TransitionConflict,
)
from bearman.ipxe.append import render_append
from bearman.metrics import observe_boot_phases
from bearman.models import Baremetal, BootStepName, EventKind, Node, NoticeKind
from bearman.states import DeployStatus

from .agent_tokens import agent_token_new, baremetal_for_token
from .boot_scripts import BootEndpoints
from .events import event_record
from .notices import notice_raise
from .timeline import baremetal_step_record
from .transitions import baremetal_transition

AGENT = "agent"


@dataclass(frozen=True)
class ProfileClaim:
    """What GetProfile answers: the OS to install and this run's agent token."""

    profile_name: str
    hostname: str
    kernel_url: str
    kernel_sha256: str
    initrd_url: str
    initrd_sha256: str
    append: str
    install_script: str
    boot_method: str
    agent_token: str


@dataclass(frozen=True)
class BaremetalDetail:
    """What GetDetail answers: the node's name and network."""

    hostname: str
    addresses: list[dict]
    vlan: int | None
    bond_mode: str = ""
    bond_options: str = ""
    bond_members: list[str] = field(default_factory=list)
    dns_servers: list[str] = field(default_factory=list)


def baremetal_profile_claim(
    *, uuid: str, endpoints: BootEndpoints, peer_address: str = ""
) -> ProfileClaim:
    """Hand the pending Baremetal's profile and a new agent token; DEPLOY_START → DEPLOYING.

    The first caller wins (the enrollment token cannot tell machines apart), and its
    address is kept: a second caller fails the Baremetal loudly, naming both, so a
    Baremetal taken by someone else never goes unnoticed (docs/security.md).
    """
    try:
        baremetal = Baremetal.objects.select_related(
            "node", "profile__kernel_artifact", "profile__initrd_artifact"
        ).get(node__uuid=uuid)
    except Baremetal.DoesNotExist:
        _require_node(uuid)
        raise BaremetalNotPending(f"Node {uuid} has no Baremetal to run.") from None
    if baremetal.status == DeployStatus.DEPLOYING:
        _claimed_twice(baremetal, peer_address)
    if baremetal.status != DeployStatus.DEPLOY_START:
        raise BaremetalNotPending(
            f"Baremetal {baremetal.hostname} is {baremetal.get_status_display()}, "
            "not waiting to start."
        )
    token, digest = agent_token_new()
    try:
        baremetal_transition(
            baremetal=baremetal,
            to=DeployStatus.DEPLOYING,
            actor=AGENT,
            also={"agent_token_hash": digest, "claimed_from": peer_address or None},
        )
    except TransitionConflict:
        # Another caller claimed it between our read and our write.
        baremetal.refresh_from_db()
        if baremetal.status == DeployStatus.DEPLOYING:
            _claimed_twice(baremetal, peer_address)
        raise
    baremetal_step_record(
        baremetal=baremetal, step=BootStepName.PROFILE_CLAIMED, detail=f"from {peer_address}"
    )
    return _claim(baremetal, endpoints, token)


def _claimed_twice(baremetal: Baremetal, peer_address: str) -> None:
    """A claimed Baremetal asked for again: one of the two callers is not the node's agent."""
    first = baremetal.claimed_from or "an unknown address"
    second = peer_address or "an unknown address"
    reason = (
        f"Baremetal {baremetal.hostname} was claimed twice: first from {first}, then from "
        f"{second}. One of them is not this node's agent, so the Baremetal is failed "
        "rather than left to whoever holds its agent token; check both, then redeploy."
    )
    with transaction.atomic():
        baremetal_transition(
            baremetal=baremetal,
            to=DeployStatus.UNRECOVERABLE_ERROR,
            actor=AGENT,
            error=reason,
            # The first claimant's token is void: it can neither read nor report any more.
            also={"agent_token_hash": ""},
        )
        event_record(
            node=baremetal.node,
            kind=EventKind.FAILURE,
            message=reason,
            actor=AGENT,
            data={"phase": "claim", "first_claimant": first, "second_claimant": second},
        )
        notice_raise(
            node=baremetal.node,
            kind=NoticeKind.BAREMETAL_CLAIMED,
            message=reason,
            ssh_address=peer_address,
        )
    raise BaremetalClaimed(reason)


def _claim(baremetal: Baremetal, endpoints: BootEndpoints, token: str) -> ProfileClaim:
    profile = baremetal.profile
    kernel, initrd = profile.kernel_artifact, profile.initrd_artifact
    return ProfileClaim(
        profile_name=profile.name,
        hostname=baremetal.hostname,
        kernel_url=endpoints.file_url(profile.kernel_url, kernel.name if kernel else None),
        kernel_sha256=kernel.sha256 if kernel else profile.kernel_sha256,
        initrd_url=endpoints.file_url(profile.initrd_url, initrd.name if initrd else None),
        initrd_sha256=initrd.sha256 if initrd else profile.initrd_sha256,
        append=render_append(
            profile.append,
            bearman_url=endpoints.base_url,
            grpc=endpoints.grpc,
            uuid=baremetal.node.uuid,
            hostname=baremetal.hostname,
        ),
        install_script=profile.install_script,
        boot_method=profile.boot_method,
        agent_token=token,
    )


def baremetal_detail(*, uuid: str, token: str) -> BaremetalDetail:
    """The hostname and network of the Baremetal the agent token belongs to."""
    baremetal = baremetal_for_token(uuid=uuid, token=token)
    Baremetal.objects.filter(pk=baremetal.pk, detail_at=None).update(detail_at=timezone.now())
    baremetal_step_record(baremetal=baremetal, step=BootStepName.DETAIL_FETCHED)
    flavor = baremetal.node.flavor
    bonded = bool(flavor and flavor.bond_mode != "none")
    nics = baremetal.node.facts.get("nics", []) if isinstance(baremetal.node.facts, dict) else []
    return BaremetalDetail(
        hostname=baremetal.hostname,
        addresses=list(baremetal.addresses),
        vlan=baremetal.vlan,
        bond_mode=flavor.bond_mode if bonded else "",
        bond_options=flavor.bond_options if bonded else "",
        bond_members=[nic["name"] for nic in nics if bonded and nic.get("link")],
        dns_servers=list(settings.BEARMAN_DNS_SERVERS),
    )


def baremetal_report_installed(*, uuid: str, token: str) -> Baremetal:
    """The install script succeeded: DEPLOYING → INSTALLED."""
    baremetal = baremetal_for_token(uuid=uuid, token=token)
    # The transition stamps installed_at on `baremetal`; the other marks were read with it.
    with transaction.atomic():
        baremetal_transition(baremetal=baremetal, to=DeployStatus.INSTALLED, actor=AGENT)
        baremetal_step_record(baremetal=baremetal, step=BootStepName.INSTALLED)
    observe_boot_phases(baremetal)
    return baremetal


def baremetal_report_failed(*, uuid: str, token: str, message: str, agent_address: str) -> None:
    """The Baremetal failed: UNRECOVERABLE_ERROR, with where to SSH in."""
    baremetal = baremetal_for_token(uuid=uuid, token=token)
    where = f" (agent at {agent_address})" if agent_address else ""
    with transaction.atomic():
        baremetal_transition(
            baremetal=baremetal,
            to=DeployStatus.UNRECOVERABLE_ERROR,
            actor=AGENT,
            error=f"{message}{where}",
        )
        baremetal_step_record(baremetal=baremetal, step=BootStepName.FAILED, detail=message)
        event_record(
            node=baremetal.node,
            kind=EventKind.FAILURE,
            message=f"Baremetal {baremetal.hostname} failed{where}: {message}",
            actor=AGENT,
            data={"phase": "deploy", "agent_address": agent_address},
        )
        notice_raise(
            node=baremetal.node,
            kind=NoticeKind.BAREMETAL_FAILED,
            message=f"Baremetal {baremetal.hostname} failed: {message}",
            ssh_address=agent_address,
        )


def _require_node(uuid: str) -> Node:
    node = Node.objects.filter(uuid=uuid).first()
    if node is None:
        raise NodeNotFound(f"No node has the system UUID {uuid}; register it first.")
    return node
