"""Registration: a machine's first-stage agent tells Bearman what it is and gets its BMC."""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bearman.crypto import decrypt_secret, encrypt_secret
from bearman.facts import fact_macs
from bearman.ipxe.rendered import ipxe_render_on_commit
from bearman.models import EventKind, Node, NoticeKind
from bearman.states import NodeStatus, node_move_allowed
from ipman.assignment import Assignment

from .addresses import availability_zone_for, bmc_address_lease
from .bmc_check import bmc_check_request
from .events import event_record
from .notices import notice_raise
from .transitions import node_transition

AGENT = "agent"


@dataclass(frozen=True)
class BmcSettings:
    """How the agent must configure the BMC (the password is for this answer only)."""

    address: str
    prefix_length: int
    netmask: str
    gateway: str
    vlan: int
    username: str
    password: str
    channel: int
    user_id: int


@dataclass(frozen=True)
class Registration:
    node: Node
    bmc: BmcSettings


def node_register(
    *, identity: dict, facts: dict, agent_address: str, agent_version: str
) -> Registration:
    """Create or update the node by UUID and give it its BMC address and credentials.

    Every write, the queued BMC check included, commits together or not at all, in as
    few statements as the database allows: a storm of agents registers at once.
    """
    uuid, now = identity["uuid"], timezone.now()
    zone = availability_zone_for(agent_address)
    with transaction.atomic():
        node = _node_locked(uuid=uuid, zone=zone, now=now)
        lease = bmc_address_lease(uuid=uuid, availability_zone=node.availability_zone)
        password = _bmc_password(node)
        changes = {
            **identity_changes(identity),
            "facts": facts,
            "mac_addresses": " ".join(fact_macs(facts)),
            "bmc_address": lease.address,
            "bmc_username": settings.BEARMAN_BMC_USERNAME,
            # Encrypted anew with the first key: registering again rotates it.
            "bmc_password_encrypted": encrypt_secret(password),
            "last_registered_at": now,
            "updated_at": now,
        }
        Node.objects.filter(pk=node.pk).update(**changes)
        for field, value in changes.items():
            setattr(node, field, value)
        if node.status == NodeStatus.ERROR:
            node_transition(
                node=node,
                to=NodeStatus.REGISTERED,
                actor=AGENT,
                message="Registered again after a failure",
            )
        event_record(
            node=node,
            kind=EventKind.REGISTERED,
            message=f"Registered from {agent_address or 'an unknown address'} "
            f"(agent {agent_version or 'unknown'}); BMC {lease.address}/{lease.prefix_length}",
            actor=AGENT,
            data={
                "agent_address": agent_address,
                "agent_version": agent_version,
                "bmc_address": lease.address,
                "pool": lease.pool,
            },
        )
        ipxe_render_on_commit(uuids=[uuid])
        if node.status == NodeStatus.REGISTERED:
            bmc_check_request(node=node)
    return Registration(node=node, bmc=_bmc_settings(lease, password))


def _bmc_settings(lease: Assignment, password: str) -> BmcSettings:
    return BmcSettings(
        address=lease.address,
        prefix_length=lease.prefix_length,
        netmask=lease.netmask,
        gateway=lease.gateway or "",
        vlan=lease.vlan or 0,
        username=settings.BEARMAN_BMC_USERNAME,
        password=password,
        channel=settings.BEARMAN_BMC_CHANNEL,
        user_id=settings.BEARMAN_BMC_USER_ID,
    )


def _node_locked(*, uuid: str, zone: str, now) -> Node:
    """The node `uuid`, created if new, locked until the transaction ends.

    INSERT … ON CONFLICT DO NOTHING, then SELECT … FOR UPDATE: two statements whether the
    node is new or not, and concurrent registrations of one machine queue on its row, so
    its credentials are made once.
    """
    Node.objects.bulk_create(
        [Node(uuid=uuid, availability_zone=zone, first_registered_at=now)],
        ignore_conflicts=True,
    )
    return Node.objects.select_for_update().get(uuid=uuid)


def identity_changes(identity: dict) -> dict:
    """Serial, vendor and product as reported; an empty report keeps what was known."""
    return {key: value for key, value in identity.items() if key != "uuid" and value}


def _bmc_password(node: Node) -> str:
    """The site-wide BMC password, else the node's own (made on its first registration)."""
    if settings.BEARMAN_BMC_PASSWORD:
        return settings.BEARMAN_BMC_PASSWORD
    if node.bmc_password_encrypted:
        return decrypt_secret(node.bmc_password_encrypted)
    # 16 characters: every IPMI 2.0 BMC accepts that length.
    return secrets.token_urlsafe(12)


def registration_report_failed(*, uuid: str, message: str, agent_address: str) -> Node:
    """The first stage failed before or after Register: node ERROR, and a notice-worthy event."""
    with transaction.atomic():
        node, created = Node.objects.get_or_create(uuid=uuid, defaults={"status": NodeStatus.ERROR})
        if not created and node_move_allowed(node.status, NodeStatus.ERROR):
            node_transition(
                node=node, to=NodeStatus.ERROR, actor=AGENT, message="Registration failed"
            )
        where = f" (agent at {agent_address})" if agent_address else ""
        event_record(
            node=node,
            kind=EventKind.FAILURE,
            message=f"Registration failed{where}: {message}",
            actor=AGENT,
            data={"phase": "register", "agent_address": agent_address},
        )
        notice_raise(
            node=node,
            kind=NoticeKind.REGISTRATION_FAILED,
            message=f"Registration failed: {message}",
            ssh_address=agent_address,
        )
        ipxe_render_on_commit(uuids=[uuid])
    return node
