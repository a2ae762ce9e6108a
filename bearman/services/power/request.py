"""Asking for power: record an operation and queue it once the caller's writes commit.

One operation in flight per node: a second request while one is PENDING or RUNNING is
refused with PowerOperationInFlight (a partial unique index enforces it), never queued
behind it, so an operator always sees what will happen next.
"""

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from bearman.errors import PowerNotConfigured, PowerOperationInFlight
from bearman.models import IN_FLIGHT, Node, OperationState, PowerAction, PowerBulk, PowerOperation

from ..queueing import Lane, TaskName, task_queue

# Many nodes' operations in one statement; ON CONFLICT DO NOTHING leaves out a node with
# one in flight (the partial unique index), whether it was there before or races us.
# The SQLite branch below is the ORM version of the same; CI runs both.
REQUEST_MANY = f"""
INSERT INTO {PowerOperation._meta.db_table}
    (node_id, action, requested_by, state, result, error, attempts, queued_at)
SELECT node_id, %s, %s, '{OperationState.PENDING.value}', '', '', 0, %s
FROM unnest(%s::bigint[]) AS node_id
ON CONFLICT DO NOTHING
RETURNING id
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
    transaction.on_commit(lambda: _enqueue(operation.pk, delay_seconds))
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
    itself (in the background lane unless told otherwise). Every operation is queued with
    one message once committed (a worker task fans them out), so a caller recording many
    pays for one enqueue. The nodes must have a BMC address.
    """
    action, now = PowerAction(action), timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(REQUEST_MANY, [action.value, actor, now, sorted(node_ids)])
            operation_ids = [row[0] for row in cursor.fetchall()]
    else:  # SQLite: one writer at a time, so nothing can start in flight meanwhile
        busy = PowerOperation.objects.filter(node_id__in=node_ids, state__in=IN_FLIGHT)
        skip = set(busy.values_list("node_id", flat=True))
        operations = PowerOperation.objects.bulk_create(
            PowerOperation(node_id=n, action=action, requested_by=actor, queued_at=now)
            for n in node_ids
            if n not in skip
        )
        operation_ids = [operation.pk for operation in operations]
    if operation_ids:
        transaction.on_commit(lambda: _enqueue_many(operation_ids, delay_seconds, lane))
    return operation_ids


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


def _enqueue(operation_id: int, delay_seconds: int = 0, lane: Lane = Lane.OPERATOR) -> bool:
    return task_queue(
        TaskName.POWER_OPERATION,
        operation_id,
        lane=lane,
        countdown=delay_seconds or None,
        what=f"power operation #{operation_id}",
        meanwhile=f"it is sent again after {settings.BEARMAN_POWER_RESEND_SECONDS} s",
    )


def power_operation_enqueue(*, operation_id: int, lane: Lane) -> bool:
    """Queue one operation as its own task now; False when the broker did not take it."""
    return _enqueue(operation_id, lane=lane)


def power_operations_enqueue(*, operation_ids: list[int], lane: Lane) -> None:
    """Queue each operation as its own task (a worker fanning out one message of many)."""
    for operation_id in operation_ids:
        _enqueue(operation_id, lane=lane)


def _enqueue_many(operation_ids: list[int], delay_seconds: int, lane: Lane) -> None:
    if len(operation_ids) == 1:
        _enqueue(operation_ids[0], delay_seconds, lane)
        return
    task_queue(
        TaskName.POWER_OPERATIONS_QUEUE,
        operation_ids,
        lane,
        lane=lane,
        countdown=delay_seconds or None,
        what=f"{len(operation_ids)} power operations",
        meanwhile=f"they are sent again after {settings.BEARMAN_POWER_RESEND_SECONDS} s",
    )
