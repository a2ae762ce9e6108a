"""Registration: a machine's first-stage agent tells Bearman what it is and gets its BMC."""

import json
import secrets
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from bearman.crypto import decrypt_secret, encrypt_secret
from bearman.facts import fact_macs
from bearman.ipxe.rendered import ipxe_render_on_commit
from bearman.models import BmcDriver, EventKind, Node, NoticeKind, PowerState
from bearman.states import NodeStatus, node_move_allowed
from ipman.assignment import Assignment

from .addresses import availability_zones_for, bmc_address_leases
from .bmc_check import bmc_checks_request
from .events import EventRecord, event_record, events_record_many
from .notices import notice_raise
from .transitions import node_transition

AGENT = "agent"
IDENTITY = ("serial", "vendor", "product_name")
# Every node of a batch in one statement (PostgreSQL): an empty identity field keeps what
# was known; the arrays hold one element per node, in UPDATE_COLUMNS' order.
UPDATE_COLUMNS = (
    "id",
    *IDENTITY,
    "facts",
    "mac_addresses",
    "bmc_address",
    "bmc_password_encrypted",
)
# Insert the new nodes, lock every one (ON CONFLICT DO UPDATE locks the row it meets) and
# read what the batch needs, in one statement. A new node's other columns are the model's
# defaults, written out: a NOT NULL column added to Node without one fails here, loudly.
UPSERT = f"""
INSERT INTO {Node._meta.db_table} (
    uuid, availability_zone, first_registered_at, last_registered_at, created_at, updated_at,
    serial, vendor, product_name, bmc_driver, bmc_port, bmc_username, bmc_password_encrypted,
    bmc_options, status, power_state, facts, mac_addresses
)
SELECT uuid, zone, %(now)s, %(now)s, %(now)s, %(now)s, '', '', '',
    '{BmcDriver.IPMI.value}', {Node._meta.get_field("bmc_port").default}, '', '', '{{}}',
    '{NodeStatus.REGISTERED.value}', '{PowerState.UNKNOWN.value}', '{{}}', ''
FROM unnest(%(uuids)s::varchar[], %(zones)s::varchar[]) AS new (uuid, zone)
ON CONFLICT (uuid) DO UPDATE SET last_registered_at = EXCLUDED.last_registered_at
RETURNING id, uuid, status, availability_zone, bmc_password_encrypted
"""
UPDATE = f"""
UPDATE {Node._meta.db_table} AS node SET
    serial = COALESCE(NULLIF(new.serial, ''), node.serial),
    vendor = COALESCE(NULLIF(new.vendor, ''), node.vendor),
    product_name = COALESCE(NULLIF(new.product_name, ''), node.product_name),
    facts = new.facts,
    mac_addresses = new.mac_addresses,
    bmc_address = new.bmc_address,
    bmc_password_encrypted = new.bmc_password_encrypted,
    bmc_username = %s,
    last_registered_at = %s,
    updated_at = %s
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::jsonb[], %s::text[],
            %s::inet[], %s::text[])
    AS new ({", ".join(UPDATE_COLUMNS)})
WHERE node.id = new.id
"""


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
    """What a registered agent is told: its node and how to set its BMC up."""

    uuid: str
    bmc: BmcSettings


@dataclass(frozen=True)
class RegistrationRequest:
    """One agent's Register call, already validated."""

    identity: dict  # uuid (canonical), serial, vendor, product_name
    facts: dict
    agent_address: str
    agent_version: str

    @property
    def uuid(self) -> str:
        return self.identity["uuid"]


def nodes_register(*, requests: list[RegistrationRequest]) -> list[Registration | Exception]:
    """Register many agents in one transaction; each request's Registration or its error.

    For each node: created or updated by UUID, its BMC address from IPman and its
    credentials, an Event per request, its BMC check queued; the same UUID twice is one
    node, answered alike, as if the requests came one after another. When the batch fails,
    each request runs again alone: one request's problem (a full pool, an unreadable
    secret, a conflict) is its own error, and the others still succeed.
    """
    try:
        return _register_together(requests)
    except Exception as error:
        if len(requests) == 1:
            return [error]
    return [_register_alone(request) for request in requests]


def _register_alone(request: RegistrationRequest) -> Registration | Exception:
    try:
        return _register_together([request])[0]
    except Exception as error:
        return error


def _register_together(requests: list[RegistrationRequest]) -> list[Registration]:
    """Every write of every request commits together or not at all, in a few statements."""
    now = timezone.now()
    zones = availability_zones_for(agent_addresses=[r.agent_address for r in requests])
    by_node = defaultdict(list)
    for request in requests:
        by_node[request.uuid].append(request)
    with transaction.atomic():
        nodes = _nodes_locked(
            zones={u: zones[r[0].agent_address] for u, r in by_node.items()}, now=now
        )
        # Before the addresses: positions drawn by a batch that fails are skipped until
        # the pool's sweep (ipman.services.cursor), so what may fail comes first.
        passwords = {uuid: _bmc_password(node) for uuid, node in nodes.items()}
        leases = bmc_address_leases(zones={u: node.availability_zone for u, node in nodes.items()})
        _nodes_update(nodes, by_node, leases, passwords, now)
        nodes = {uuid: _recovered(node) for uuid, node in nodes.items()}
        events_record_many(
            records=[_registered_event(nodes[r.uuid], r, leases[r.uuid]) for r in requests]
        )
        ipxe_render_on_commit(uuids=list(nodes))
        bmc_checks_request(
            node_ids=[n.pk for n in nodes.values() if n.status == NodeStatus.REGISTERED]
        )
    answers = {uuid: _bmc_settings(leases[uuid], passwords[uuid]) for uuid in nodes}
    return [Registration(uuid=request.uuid, bmc=answers[request.uuid]) for request in requests]


class _Locked(NamedTuple):
    """What a batch reads of a node it has locked."""

    pk: int
    uuid: str
    status: str
    availability_zone: str
    bmc_password_encrypted: str


def _nodes_locked(*, zones: dict[str, str], now) -> dict[str, _Locked]:
    """The nodes of these UUIDs, created if new (in their zone), locked until commit.

    In UUID order, so two batches never wait for each other in a circle; concurrent
    registrations of one machine queue on its row, so its credentials are made once.
    """
    uuids = sorted(zones)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(UPSERT, {"uuids": uuids, "zones": [zones[u] for u in uuids], "now": now})
            return {row[1]: _Locked(*row) for row in cursor.fetchall()}
    # SQLite (one writer at a time): insert the new ones, then read them all.
    Node.objects.bulk_create(
        [Node(uuid=u, availability_zone=zones[u], first_registered_at=now) for u in uuids],
        ignore_conflicts=True,
    )
    rows = Node.objects.filter(uuid__in=uuids).order_by("uuid").values_list(*_Locked._fields)
    return {row[1]: _Locked(*row) for row in rows}


def _recovered(node: _Locked) -> _Locked:
    """A node that had failed is REGISTERED again (and records it)."""
    if node.status != NodeStatus.ERROR:
        return node
    node_transition(
        node=Node(pk=node.pk, uuid=node.uuid, status=node.status),
        to=NodeStatus.REGISTERED,
        actor=AGENT,
        message="Registered again after a failure",
    )
    return node._replace(status=NodeStatus.REGISTERED)


def _nodes_update(nodes, by_node, leases, passwords, now) -> None:
    """Each node's facts (the last request's), identity, BMC address and credentials."""
    rows = []
    for uuid, node in nodes.items():
        identity = {}
        for request in by_node[uuid]:
            identity.update(identity_changes(request.identity))
        facts = by_node[uuid][-1].facts
        rows.append(
            {
                "id": node.pk,
                **{key: identity.get(key, "") for key in IDENTITY},
                "facts": facts,
                "mac_addresses": " ".join(fact_macs(facts)),
                "bmc_address": leases[uuid].address,
                # Encrypted anew with the first key: registering again rotates it.
                "bmc_password_encrypted": encrypt_secret(passwords[uuid]),
            }
        )
    username = settings.BEARMAN_BMC_USERNAME
    if connection.vendor == "postgresql":
        columns = {name: [row[name] for row in rows] for name in UPDATE_COLUMNS}
        columns["facts"] = [json.dumps(facts) for facts in columns["facts"]]
        with connection.cursor() as cursor:
            cursor.execute(UPDATE, [username, now, now, *columns.values()])
        return
    for row in rows:  # SQLite: the same, one node at a time
        changes = {k: v for k, v in row.items() if k not in IDENTITY or v}
        Node.objects.filter(pk=changes.pop("id")).update(
            **changes, bmc_username=username, last_registered_at=now, updated_at=now
        )


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


def identity_changes(identity: dict) -> dict:
    """Serial, vendor and product as reported; an empty report keeps what was known."""
    return {key: value for key, value in identity.items() if key != "uuid" and value}


def _bmc_password(node: _Locked) -> str:
    """The site-wide BMC password, else the node's own (made on its first registration)."""
    if settings.BEARMAN_BMC_PASSWORD:
        return settings.BEARMAN_BMC_PASSWORD
    if node.bmc_password_encrypted:
        return decrypt_secret(node.bmc_password_encrypted)
    # 16 characters: every IPMI 2.0 BMC accepts that length.
    return secrets.token_urlsafe(12)


def _registered_event(
    node: _Locked, request: RegistrationRequest, lease: Assignment
) -> EventRecord:
    address, version = request.agent_address, request.agent_version
    return EventRecord(
        node_id=node.pk,
        kind=EventKind.REGISTERED,
        message=f"Registered from {address or 'an unknown address'} "
        f"(agent {version or 'unknown'}); BMC {lease.address}/{lease.prefix_length}",
        actor=AGENT,
        data={
            "agent_address": address,
            "agent_version": version,
            "bmc_address": lease.address,
            "pool": lease.pool,
        },
    )


def registration_report_failed(*, uuid: str, message: str, agent_address: str) -> Node:
    """The first stage failed before or after Register: node ERROR, and a notice-worthy event."""
    # A node first seen here is in its agent's zone, as Register would have put it: the
    # zone is set when a node is made, and its BMC address comes from that zone's pool.
    zone = availability_zones_for(agent_addresses=[agent_address])[agent_address]
    with transaction.atomic():
        node, created = Node.objects.get_or_create(
            uuid=uuid, defaults={"status": NodeStatus.ERROR, "availability_zone": zone}
        )
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
        # A node first seen here made no move, so no event asked for its script.
        ipxe_render_on_commit(uuids=[uuid])
    return node
