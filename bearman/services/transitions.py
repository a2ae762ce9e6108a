"""The one place that moves a Node or a Baremetal between statuses.

The Event each move records re-renders the node's iPXE script (services.events).
"""

from django.db import transaction
from django.utils import timezone

from bearman.errors import TransitionConflict, TransitionNotAllowed
from bearman.models import STATUS_TIMESTAMP_FIELDS, Baremetal, BootStep, EventKind, Node
from bearman.states import DeployStatus, NodeStatus, deploy_move_allowed, node_move_allowed

from .events import event_record


def node_transition(*, node: Node, to: NodeStatus | str, actor: str, message: str = "") -> Node:
    """Move `node` to status `to`, or raise; records an Event."""
    target = NodeStatus(to)
    current = NodeStatus(node.status)
    if not node_move_allowed(current, target):
        raise TransitionNotAllowed(
            f"Node {node.uuid} cannot go from {current.label} to {target.label}."
        )
    with transaction.atomic():
        _claim(Node, node, current, {"status": target})
        node.status = target
        event_record(
            node=node,
            kind=EventKind.NODE_STATUS,
            message=message or f"{current.label} → {target.label}",
            actor=actor,
            data={"from": current.value, "to": target.value},
        )
    return node


def baremetal_transition(
    *,
    baremetal: Baremetal,
    to: DeployStatus | str,
    actor: str,
    error: str = "",
    also: dict | None = None,
) -> Baremetal:
    """Move a Baremetal to status `to`, stamping the time (and the error), or raise.

    `also`: more fields to write with the move, in the same statement.
    """
    target = DeployStatus(to)
    current = DeployStatus(baremetal.status)
    if not deploy_move_allowed(current, target):
        raise TransitionNotAllowed(
            f"Baremetal {baremetal.hostname} cannot go from {current.label} to {target.label}."
        )
    changes = {"status": target, STATUS_TIMESTAMP_FIELDS[target]: timezone.now()}
    if target == DeployStatus.UNRECOVERABLE_ERROR:
        changes["last_error"] = error
    elif target == DeployStatus.DEPLOY_START:
        # A new run: the previous run's error and agent token are void.
        changes |= {"last_error": "", "agent_token_hash": "", "detail_at": None}
    changes |= also or {}
    with transaction.atomic():
        _claim(Baremetal, baremetal, current, changes)
        if target == DeployStatus.DEPLOY_START:
            # A new run: its boot timeline starts empty (services.timeline).
            BootStep.objects.filter(baremetal_id=baremetal.pk).delete()
        for field, value in changes.items():
            setattr(baremetal, field, value)
        event_record(
            node=baremetal.node,
            kind=EventKind.BAREMETAL,
            message=f"{baremetal.hostname}: {current.label} → {target.label}"
            + (f": {error}" if error else ""),
            actor=actor,
            data={"from": current.value, "to": target.value, "hostname": baremetal.hostname},
        )
    return baremetal


def _claim(model, instance, expected, changes: dict) -> None:
    """Apply `changes` only if the row still has the status we read (no lost updates)."""
    changes = {**changes, "updated_at": timezone.now()}
    claimed = model.objects.filter(pk=instance.pk, status=expected).update(**changes)
    if claimed != 1:
        raise TransitionConflict(
            f"{instance} is no longer {expected.label}: someone else changed it. "
            "Reload and try again."
        )
