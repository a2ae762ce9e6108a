"""Registration: a machine's first-stage agent tells Bearman what it is and gets its BMC.

The enrollment token proves only "a machine of this site" (docs/security.md): a new UUID
registers (or, in approval mode, waits for an operator), a node still registering may
retry, and a known node past registration is refused unless an operator armed it.
"""

import enum
import json
import secrets
import string
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from bearman.crypto import decrypt_secret, encrypt_secret
from bearman.errors import (
    AgentTokenForbidden,
    NodeAwaitingAcceptance,
    RegistrationRefused,
    RegistrationThrottled,
)
from bearman.facts import fact_macs
from bearman.models import (
    Baremetal,
    BootFlow,
    BootStepName,
    EventKind,
    Node,
    NoticeKind,
)
from bearman.states import NODE_REGISTERING, NodeStatus, node_move_allowed
from ipman.assignment import Assignment

from .addresses import availability_zones_for, bmc_address_leases
from .boot_files import ipxe_render_on_commit
from .conformance import Subject, nodes_conformance_check
from .events import EventRecord, event_record, events_record_many
from .inserts import default_placeholders, defaulted_fields, defaults_prepared
from .notices import notice_raise
from .power.bmc_check import bmc_checks_request
from .timeline import StepRecord, boot_steps_record, registration_step_record
from .transitions import node_transition

AGENT = "agent"
BMC_PASSWORD_ALPHABET = string.ascii_letters + string.digits
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
# What a batch reads of each node it locks (see _Locked).
LOCKED_COLUMNS = (
    "id",
    "uuid",
    "status",
    "availability_zone",
    "bmc_password_encrypted",
    "first_registered_at",
    "reregistration_armed_until",
    # For the conformance check, which the batch hands what it holds.
    "flavor_id",
    "serial",
    "rack_position",
)
# Insert the new nodes, lock every one (ON CONFLICT DO UPDATE locks the row it meets) and
# read what the batch needs, in one statement. The batch writes these columns of a new node;
# every other one is the model's default, taken from the model as the ORM takes it (a column
# added to Node is never forgotten here, as rack_position once was).
UPSERT_GIVEN = (
    "uuid",
    "availability_zone",
    "created_from",
    "first_registered_at",
    "last_registered_at",
    "created_at",
    "updated_at",
    "status",
)
UPSERT_DEFAULTED = defaulted_fields(Node, given=UPSERT_GIVEN)
UPSERT = f"""
INSERT INTO {Node._meta.db_table} (
    {", ".join(UPSERT_GIVEN)}, {", ".join(field.column for field in UPSERT_DEFAULTED)}
)
SELECT uuid, zone, source, %(now)s, %(now)s, %(now)s, %(now)s, %(status)s,
    {default_placeholders(UPSERT_DEFAULTED)}
FROM unnest(%(uuids)s::varchar[], %(zones)s::varchar[], %(sources)s::inet[])
    AS new (uuid, zone, source)
-- Writes nothing new into a known row (a refused one must stay as it was), but locks it.
ON CONFLICT (uuid) DO UPDATE SET last_registered_at = {Node._meta.db_table}.last_registered_at
RETURNING {", ".join(f"{Node._meta.db_table}.{column}" for column in LOCKED_COLUMNS)}
"""
# The new nodes of the registration window, everyone's and one COUNT_SOURCE per source
# (plain SQL, the same on both engines: the ORM's aggregate cost more than its query).
COUNT_NEW = f"SELECT COUNT(*){{filters}} FROM {Node._meta.db_table} WHERE created_at >= %s"
COUNT_SOURCE = ", COUNT(*) FILTER (WHERE created_from = %s)"
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
    agent_address: str  # as the agent reports it: for people and, failing the peer, the zone
    agent_version: str
    peer_address: str = ""  # the gRPC peer: rate limits, events, the zone when it has one

    @property
    def uuid(self) -> str:
        return self.identity["uuid"]


class Verdict(enum.StrEnum):
    """What one registration of one node does."""

    REGISTER = "register"  # a new node (open mode), or one still registering: as always
    REARMED = "rearmed"  # a known node an operator armed: registers, and uses the arming up
    DISCOVER = "discover"  # a new node in approval mode: kept, without a BMC, for an operator
    AWAITING = "awaiting"  # discovered before and not accepted yet: nothing changes
    REFUSE = "refuse"  # a known node past registration: quarantined, nothing changes


REGISTERING = frozenset({Verdict.REGISTER, Verdict.REARMED})


def nodes_register(*, requests: list[RegistrationRequest]) -> list[Registration | Exception]:
    """Register many agents in one transaction; each request's Registration or its error.

    For each node: created or updated by UUID, its BMC address from IPman and its
    credentials, an Event per request, its BMC check queued; the same UUID twice is one
    node, answered alike, as if the requests came one after another. New UUIDs past the
    rate limits are refused and leave nothing behind; known nodes past registration
    are refused (an Event and a notice) unless armed. When the batch fails, each request
    runs again alone: one request's problem (a full pool, an unreadable secret, a
    conflict) is its own error, and the others still succeed.
    """
    return _register_all(requests)


def _register_all(requests: list[RegistrationRequest]) -> list[Registration | Exception]:
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


def registrations_over_limits(
    *, requests: list[RegistrationRequest], now
) -> dict[str, RegistrationThrottled]:
    """The new UUIDs among `requests` that the per-source or global limit refuses."""
    uuids = {request.uuid for request in requests}
    known = set(Node.objects.filter(uuid__in=uuids).values_list("uuid", flat=True))
    return _throttled([r for r in requests if r.uuid not in known], now=now, made=set())


def _throttled(new: list[RegistrationRequest], *, now, made: set[str]) -> dict:
    """Which of these new nodes' requests the limits refuse, in order; `made`: the UUIDs
    among them whose rows this batch has already inserted.

    Counted from the nodes made in the window (the database is what every gRPC process
    shares), in one statement; concurrent batches in several processes may each pass the
    last free places, so a limit can be overshot by at most one batch per process.
    """
    if not new:
        return {}
    window = settings.BEARMAN_REGISTRATION_WINDOW_SECONDS
    sources = sorted({request.peer_address for request in new if request.peer_address})
    since = connection.ops.adapt_datetimefield_value(now - timedelta(seconds=window))
    with connection.cursor() as cursor:
        cursor.execute(
            COUNT_NEW.format(filters="".join(COUNT_SOURCE for _ in sources)), [*sources, since]
        )
        total, *counts = cursor.fetchone()
    per_source = defaultdict(int, zip(sources, counts, strict=True))
    # The rows this batch made count as the new nodes they are, below: not twice.
    total -= len(made)
    for request in new:
        if request.uuid in made:
            per_source[request.peer_address] -= 1
    admitted, refused = set(), {}
    for request in new:
        source = request.peer_address
        if request.uuid in admitted or request.uuid in refused:
            continue
        if total >= settings.BEARMAN_REGISTRATION_LIMIT_GLOBAL:
            refused[request.uuid] = RegistrationThrottled(
                f"Too many new machines registered in the last {window} s; retry later."
            )
        elif source and per_source[source] >= settings.BEARMAN_REGISTRATION_LIMIT_PER_SOURCE:
            refused[request.uuid] = RegistrationThrottled(
                f"Too many new machines registered from {source} in the last {window} s; "
                "retry later."
            )
        else:
            admitted.add(request.uuid)
            total += 1
            per_source[source] += 1
    return refused


def _unmade(nodes: dict[str, "_Locked"], by_node, now) -> dict[str, Exception]:
    """Refuse the nodes this batch made past the limits: their rows go, nothing is left."""
    made = {uuid: node for uuid, node in nodes.items() if node.first_registered_at == now}
    throttled = _throttled([by_node[uuid][0] for uuid in made], now=now, made=set(made))
    if throttled:
        Node.objects.filter(pk__in=[made[uuid].pk for uuid in throttled]).delete()
        for uuid in throttled:
            del nodes[uuid]
    return throttled


def _register_together(requests: list[RegistrationRequest]) -> list[Registration | Exception]:
    """Every write of every request commits together or not at all, in a few statements."""
    now = timezone.now()
    zone_of = _zones_for(requests)
    by_node = defaultdict(list)
    for request in requests:
        by_node[request.uuid].append(request)
    with transaction.atomic():
        nodes = _nodes_locked(
            zones={uuid: zone_of(asked[0]) for uuid, asked in by_node.items()},
            sources={uuid: asked[0].peer_address for uuid, asked in by_node.items()},
            now=now,
        )
        # Only now is it known which nodes are new: the limits count those.
        throttled = _unmade(nodes, by_node, now)
        verdicts = _verdicts(nodes, now=now)
        going = {uuid: node for uuid, node in nodes.items() if verdicts[uuid] in REGISTERING}
        going, leases, passwords = _nodes_register(going, by_node, requests, verdicts, now)
        # A node that does not conform is held (MAINTENANCE), so its BMC check waits.
        held = nodes_conformance_check(
            nodes=_subjects(going, by_node),
            actor=AGENT,
            created=frozenset(n.pk for n in going.values() if n.first_registered_at == now),
        )
        refusals = _refusals_record(nodes, by_node, verdicts) | throttled
        ipxe_render_on_commit(uuids=[u for u, v in verdicts.items() if v != Verdict.REFUSE])
        bmc_checks_request(
            node_ids=[
                n.pk
                for n in going.values()
                if n.status == NodeStatus.REGISTERED and n.pk not in held
            ]
        )
    answers = {uuid: _bmc_settings(leases[uuid], passwords[uuid]) for uuid in going}
    return [
        Registration(uuid=r.uuid, bmc=answers[r.uuid]) if r.uuid in going else refusals[r.uuid]
        for r in requests
    ]


def _nodes_register(going, by_node, requests, verdicts, now):
    """Each registering node's BMC address, credentials, facts and Event (none: no writes)."""
    if not going:
        return {}, {}, {}
    # Before the addresses: positions drawn by a batch that fails are skipped until
    # the pool's sweep (ipman.services.cursor), so what may fail comes first.
    passwords = {uuid: _bmc_password(node) for uuid, node in going.items()}
    leases = bmc_address_leases(zones={u: node.availability_zone for u, node in going.items()})
    _nodes_update(going, by_node, leases, passwords, now)
    going = {uuid: _recovered(node, verdicts[uuid]) for uuid, node in going.items()}
    events_record_many(
        records=[
            _registered_event(going[r.uuid], r, leases[r.uuid]) for r in requests if r.uuid in going
        ]
    )
    boot_steps_record(records=[_registered_step(uuid, by_node[uuid][0]) for uuid in going])
    return going, leases, passwords


def _subjects(going: dict[str, "_Locked"], by_node) -> list[Subject]:
    """What the conformance check needs of each registered node, as this batch wrote it."""
    subjects = []
    for uuid, node in going.items():
        serial = _reported_identity(by_node[uuid]).get("serial") or node.serial
        facts = by_node[uuid][-1].facts
        subjects.append(
            Subject(node.pk, uuid, node.status, node.flavor_id, serial, node.rack_position, facts)
        )
    return subjects


def _registered_step(uuid: str, request: RegistrationRequest) -> StepRecord:
    where = request.peer_address or request.agent_address or "an unknown address"
    return StepRecord(uuid, BootFlow.REGISTRATION, BootStepName.REGISTERED, detail=f"from {where}")


def _zones_for(requests: list[RegistrationRequest]):
    """Each request's zone: its peer's provisioning pool's, else the reported address's.

    The peer decides when it lies in a provisioning pool, so a machine there cannot pick
    another zone's BMC pool by what it reports; behind a relay the report still works.
    """
    peers = {r.peer_address for r in requests if r.peer_address}
    reported = {r.agent_address for r in requests}
    zones = availability_zones_for(agent_addresses=sorted(peers | reported))
    placed = {peer for peer in peers if zones[peer] != settings.BEARMAN_DEFAULT_AVAILABILITY_ZONE}

    def zone_of(request: RegistrationRequest) -> str:
        peer = request.peer_address
        return zones[peer] if peer in placed else zones[request.agent_address]

    return zone_of


def _verdicts(nodes: dict[str, "_Locked"], *, now) -> dict[str, Verdict]:
    """What each locked node's registration does (docs/security.md, "Registration")."""
    settled = [n.pk for n in nodes.values() if n.first_registered_at != now]
    deployed = set(
        Baremetal.objects.filter(node_id__in=settled).values_list("node_id", flat=True)
        if settled
        else ()
    )
    return {
        uuid: _verdict(node, now=now, deployed=node.pk in deployed) for uuid, node in nodes.items()
    }


def _verdict(node: "_Locked", *, now, deployed: bool) -> Verdict:
    if node.first_registered_at == now:  # made by this very batch
        return Verdict.DISCOVER if node.status == NodeStatus.DISCOVERED else Verdict.REGISTER
    if node.status == NodeStatus.DISCOVERED:
        return Verdict.AWAITING
    armed = node.reregistration_armed_until
    if armed is not None and armed > now and _may_register_again(node.status):
        return Verdict.REARMED
    if node.status in NODE_REGISTERING and not deployed:
        return Verdict.REGISTER
    return Verdict.REFUSE


class _Locked(NamedTuple):
    """What a batch reads of a node it has locked (LOCKED_COLUMNS, in order)."""

    pk: int
    uuid: str
    status: str
    availability_zone: str
    bmc_password_encrypted: str
    first_registered_at: object
    reregistration_armed_until: object
    flavor_id: int | None
    serial: str
    rack_position: str


def _may_register_again(status: str) -> bool:
    return status == NodeStatus.REGISTERED or node_move_allowed(status, NodeStatus.REGISTERED)


def _new_node_status() -> NodeStatus:
    approval = settings.BEARMAN_REGISTRATION_MODE == "approval"
    return NodeStatus.DISCOVERED if approval else NodeStatus.REGISTERED


def _nodes_locked(*, zones: dict[str, str], sources: dict[str, str], now) -> dict[str, _Locked]:
    """The nodes of these UUIDs, created if new (in their zone), locked until commit.

    In UUID order, so two batches never wait for each other in a circle; concurrent
    registrations of one machine queue on its row, so its credentials are made once.
    """
    uuids = sorted(zones)
    status = _new_node_status()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                UPSERT,
                {
                    "uuids": uuids,
                    "zones": [zones[u] for u in uuids],
                    "sources": [sources[u] or None for u in uuids],
                    "status": status.value,
                    "now": now,
                    **defaults_prepared(UPSERT_DEFAULTED, connection),
                },
            )
            return {row[1]: _Locked(*row) for row in cursor.fetchall()}
    # SQLite (one writer at a time): insert the new ones, then read them all.
    Node.objects.bulk_create(
        [
            Node(
                uuid=u,
                availability_zone=zones[u],
                created_from=sources[u] or None,
                first_registered_at=now,
                status=status,
            )
            for u in uuids
        ],
        ignore_conflicts=True,
    )
    rows = Node.objects.filter(uuid__in=uuids).order_by("uuid").values_list(*LOCKED_COLUMNS)
    return {row[1]: _Locked(*row) for row in rows}


def _recovered(node: _Locked, verdict: Verdict) -> _Locked:
    """A node that had failed, or was armed, is REGISTERED again (and records it)."""
    if verdict == Verdict.REARMED:
        # One-shot: the arming is used up by the registration it let through.
        Node.objects.filter(pk=node.pk).update(reregistration_armed_until=None)
    if node.status == NodeStatus.REGISTERED:
        return node
    why = "an operator armed it" if verdict == Verdict.REARMED else "a failure"
    node_transition(
        node=Node(pk=node.pk, uuid=node.uuid, status=node.status),
        to=NodeStatus.REGISTERED,
        actor=AGENT,
        message=f"Registered again after {why}",
    )
    return node._replace(status=NodeStatus.REGISTERED)


def _refusals_record(nodes, by_node, verdicts) -> dict[str, Exception]:
    """The error each refused or waiting node's agent gets; events and notices for them."""
    refusals = {}
    for uuid, verdict in verdicts.items():
        if verdict in REGISTERING:
            continue
        node, request = nodes[uuid], by_node[uuid][-1]
        if verdict == Verdict.REFUSE:
            refusals[uuid] = _quarantine(node, request)
        else:
            if verdict == Verdict.DISCOVER:
                _discovered(node, request)
            refusals[uuid] = NodeAwaitingAcceptance(
                f"Node {uuid} waits for an operator to accept it (admin, API, or "
                f"`bearman node accept {uuid}`); then run the registration again."
            )
    return refusals


def _quarantine(node: _Locked, request: RegistrationRequest) -> RegistrationRefused:
    """A known node past registration asked again: say so loudly, change nothing."""
    source = _source_words(request)
    message = (
        f"Registration of known node {node.uuid} ({node.status}) refused: it registered "
        f"already and no operator armed a re-registration; asked {source}. Nothing changed."
    )
    record = Node(pk=node.pk, uuid=node.uuid)
    event_record(
        node=record,
        kind=EventKind.REGISTRATION_REFUSED,
        message=message,
        actor=AGENT,
        data={
            "peer_address": request.peer_address,
            "agent_address": request.agent_address,
            "agent_version": request.agent_version,
            "status": node.status,
        },
    )
    notice_raise(
        node=record,
        kind=NoticeKind.REGISTRATION_REFUSED,
        message=message,
        ssh_address=request.peer_address or request.agent_address,
    )
    return RegistrationRefused(
        f"Node {node.uuid} is {node.status} and registered already; nothing was changed "
        "and this machine stays on. An operator must arm re-registration (admin, API, or "
        f"`bearman node rearm {node.uuid}`) before it may register again."
    )


def _discovered(node: _Locked, request: RegistrationRequest) -> None:
    """A new machine in approval mode: its facts are kept for the operator to judge."""
    facts = request.facts
    Node.objects.filter(pk=node.pk).update(
        **identity_changes(request.identity),
        facts=facts,
        mac_addresses=" ".join(fact_macs(facts)),
    )
    event_record(
        node=Node(pk=node.pk, uuid=node.uuid),
        kind=EventKind.DISCOVERED,
        message=f"Discovered {_source_words(request)}; waits for an operator to accept it",
        actor=AGENT,
        data={
            "peer_address": request.peer_address,
            "agent_address": request.agent_address,
            "agent_version": request.agent_version,
        },
    )


def _source_words(request: RegistrationRequest) -> str:
    peer, reported = request.peer_address, request.agent_address
    words = f"from {peer or 'an unknown peer'}"
    return f"{words} (reporting {reported})" if reported and reported != peer else words


def _nodes_update(nodes, by_node, leases, passwords, now) -> None:
    """Each node's facts (the last request's), identity, BMC address and credentials."""
    rows = []
    for uuid, node in nodes.items():
        identity = _reported_identity(by_node[uuid])
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


def _reported_identity(requests: list[RegistrationRequest]) -> dict:
    """Serial, vendor and product as this batch's requests of one node report them."""
    identity = {}
    for request in requests:
        identity.update(identity_changes(request.identity))
    return identity


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
    # 16 characters, which every IPMI 2.0 BMC accepts; letters and digits only, since
    # the agent hands it to ipmitool as an argument and one starting with "-" is read as
    # an option (seen in CI: the VM's BMC was never configured).
    return "".join(secrets.choice(BMC_PASSWORD_ALPHABET) for _ in range(16))


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
            "peer_address": request.peer_address,
            "agent_version": version,
            "bmc_address": lease.address,
            "pool": lease.pool,
        },
    )


def registration_report_failed(
    *, uuid: str, message: str, agent_address: str, peer_address: str = ""
) -> Node:
    """The first stage failed before or after Register: node ERROR, and a notice-worthy event.

    With the enrollment token only: so it touches a new node or one still registering,
    never one that is READY, deployed or otherwise past registration.
    """
    with transaction.atomic():
        node = Node.objects.select_for_update().filter(uuid=uuid).first()
        if node is None:
            node = _node_first_seen_failing(uuid, agent_address, peer_address)
        elif not _still_registering(node):
            raise AgentTokenForbidden(
                f"Node {uuid} is {node.status} and past registration: the enrollment token "
                "cannot report its failure (a Baremetal reports with its agent token)."
            )
        elif node_move_allowed(node.status, NodeStatus.ERROR):
            node_transition(
                node=node, to=NodeStatus.ERROR, actor=AGENT, message="Registration failed"
            )
        where = f" (agent at {agent_address})" if agent_address else ""
        registration_step_record(uuid=uuid, step=BootStepName.FAILED, detail=message)
        event_record(
            node=node,
            kind=EventKind.FAILURE,
            message=f"Registration failed{where}: {message}",
            actor=AGENT,
            data={
                "phase": "register",
                "agent_address": agent_address,
                "peer_address": peer_address,
            },
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


def _still_registering(node: Node) -> bool:
    if node.status == NodeStatus.DISCOVERED:
        return True
    return node.status in NODE_REGISTERING and not Baremetal.objects.filter(node=node).exists()


def _node_first_seen_failing(uuid: str, agent_address: str, peer_address: str) -> Node:
    """A node made by its failure report: rate-limited like a registration, same zone rules."""
    request = RegistrationRequest(
        identity={"uuid": uuid},
        facts={},
        agent_address=agent_address,
        agent_version="",
        peer_address=peer_address,
    )
    throttled = registrations_over_limits(requests=[request], now=timezone.now())
    if throttled:
        raise throttled[uuid]
    # In approval mode it waits as discovered: a failure report must not skip acceptance.
    approval = settings.BEARMAN_REGISTRATION_MODE == "approval"
    node, _ = Node.objects.get_or_create(
        uuid=uuid,
        defaults={
            "status": NodeStatus.DISCOVERED if approval else NodeStatus.ERROR,
            "availability_zone": _zones_for([request])(request),
            "created_from": peer_address or None,
        },
    )
    return node
