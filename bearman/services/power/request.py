"""Asking for power: record an operation and queue it once the caller's writes commit.

One operation in flight per node: a second request while one is PENDING or RUNNING is
refused with PowerOperationInFlight (a partial unique index enforces it), never queued
behind it, so an operator always sees what will happen next.
"""

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from bearman.errors import PowerNotConfigured, PowerOperationInFlight
from bearman.models import IN_FLIGHT, Node, PowerAction, PowerBulk, PowerOperation

from ..inserts import default_placeholders, defaulted_fields, defaults_prepared
from ..queueing import Lane, TaskName, task_queue

# Many nodes' operations in one statement; ON CONFLICT DO NOTHING leaves out a node with
# one in flight (the partial unique index), whether it was there before or races us. The
# other columns are the model's defaults (PENDING, no attempts yet). Each row comes back
# with its node's zone, whose worker it is queued to.
# The SQLite branch below is the ORM version of the same; CI runs both.
REQUEST_GIVEN = ("node_id", "action", "requested_by", "queued_at")
REQUEST_DEFAULTED = defaulted_fields(PowerOperation, given=REQUEST_GIVEN)
REQUEST_MANY = f"""
INSERT INTO {PowerOperation._meta.db_table}
    ({", ".join(REQUEST_GIVEN)}, {", ".join(field.column for field in REQUEST_DEFAULTED)})
SELECT node_id, %(action)s, %(actor)s, %(now)s, {default_placeholders(REQUEST_DEFAULTED)}
FROM unnest(%(node_ids)s::bigint[]) AS node_id
ON CONFLICT DO NOTHING
RETURNING id, node_id, (
    SELECT node.availability_zone FROM {Node._meta.db_table} AS node
    WHERE node.id = {PowerOperation._meta.db_table}.node_id
)
"""


def power_action_request(
    *,
    node: Node,
    action: PowerAction | str,
    actor: str,
    delay_seconds: int = 0,
    bulk: PowerBulk | None = None,
) -> PowerOperation:
    """Record a power operation for `node` and queue it for a worker once committed."""
    action = PowerAction(action)
    if not node.bmc_address:
        raise PowerNotConfigured(f"Node {node.uuid} has no BMC address: set its IPMI IP first.")
    try:
        with transaction.atomic():
            operation = PowerOperation.objects.create(
                node=node, action=action, requested_by=actor, bulk_request=bulk
            )
    except IntegrityError:
        raise PowerOperationInFlight(_in_flight_message(node)) from None
    zone = node.availability_zone
    transaction.on_commit(lambda: _enqueue(operation.pk, zone, delay_seconds))
    return operation


def power_actions_request_many(
    *,
    node_ids: list[int],
    action: PowerAction | str,
    actor: str,
    delay_seconds: int = 0,
    lane: Lane = Lane.BACKGROUND,
) -> list[int]:
    """Record `action` for each node with no operation in flight, in one statement; the ids.

    Nodes with one in flight are left out, not refused: this is how Bearman asks by
    itself (in the background lane unless told otherwise). The operations of each
    availability zone are queued with one message once committed (a worker of the zone
    fans them out), so a caller recording many pays for one enqueue per zone. The nodes
    must have a BMC address.
    """
    action, now = PowerAction(action), timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                REQUEST_MANY,
                {
                    "action": action.value,
                    "actor": actor,
                    "now": now,
                    "node_ids": sorted(node_ids),
                    **defaults_prepared(REQUEST_DEFAULTED, connection),
                },
            )
            created = cursor.fetchall()
    else:  # SQLite: one writer at a time, so nothing can start in flight meanwhile
        zones = dict(Node.objects.filter(pk__in=node_ids).values_list("pk", "availability_zone"))
        busy = PowerOperation.objects.filter(node_id__in=node_ids, state__in=IN_FLIGHT)
        skip = set(busy.values_list("node_id", flat=True))
        operations = PowerOperation.objects.bulk_create(
            PowerOperation(node_id=n, action=action, requested_by=actor, queued_at=now)
            for n in node_ids
            if n not in skip
        )
        created = [(op.pk, op.node_id, zones[op.node_id]) for op in operations]
    by_zone: dict[str, list[int]] = {}
    for operation_id, _, zone in created:
        by_zone.setdefault(zone, []).append(operation_id)
    for zone, operation_ids in by_zone.items():
        transaction.on_commit(
            lambda zone=zone, ids=operation_ids: _enqueue_many(ids, zone, delay_seconds, lane)
        )
    return [operation_id for operation_id, _, _ in created]


def _in_flight_message(node: Node) -> str:
    current = PowerOperation.objects.filter(node=node, state__in=IN_FLIGHT).first()
    what = (
        f"#{current.pk} {current.get_action_display()}, {current.get_state_display().lower()}"
        if current
        else "another one"
    )
    return (
        f"Node {node.uuid} already has a power operation in flight ({what}); "
        "try again when it has finished."
    )


def _enqueue(
    operation_id: int, zone: str, delay_seconds: int = 0, lane: Lane = Lane.OPERATOR
) -> bool:
    return task_queue(
        TaskName.POWER_OPERATION,
        operation_id,
        lane=lane,
        zone=zone,
        countdown=delay_seconds or None,
        what=f"power operation #{operation_id}",
        meanwhile=f"it is sent again after {settings.BEARMAN_POWER_RESEND_SECONDS} s",
    )


def power_operation_enqueue(*, operation_id: int, lane: Lane, zone: str) -> bool:
    """Queue one operation as its own task now, to its node's zone (`zone`); False when
    the broker did not take it."""
    return _enqueue(operation_id, zone, lane=lane)


def power_operations_enqueue(*, operation_ids: list[int], lane: Lane, zone: str | None) -> None:
    """Queue each operation as its own task (a worker fanning out one message of many) to
    `zone`, or to its node's zone when the message did not say (sent before zones)."""
    if zone is None:
        zones = dict(
            PowerOperation.objects.filter(pk__in=operation_ids).values_list(
                "pk", "node__availability_zone"
            )
        )
    for operation_id in operation_ids:
        _enqueue(operation_id, zone or zones.get(operation_id), lane=lane)


def _enqueue_many(operation_ids: list[int], zone: str, delay_seconds: int, lane: Lane) -> None:
    if len(operation_ids) == 1:
        _enqueue(operation_ids[0], zone, delay_seconds, lane)
        return
    task_queue(
        TaskName.POWER_OPERATIONS_QUEUE,
        operation_ids,
        lane,
        zone,
        lane=lane,
        zone=zone,
        countdown=delay_seconds or None,
        what=f"{len(operation_ids)} power operations",
        meanwhile=f"they are sent again after {settings.BEARMAN_POWER_RESEND_SECONDS} s",
    )
