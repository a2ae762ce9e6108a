"""Operators' say over registration: accept a discovered node, arm a known one's re-registration.

The enrollment token lets a machine register once; past that, only an operator's
decision made here lets a node's registration through again (docs/security.md).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bearman.errors import TransitionNotAllowed
from bearman.models import EventKind, Node
from bearman.states import NodeStatus

from .events import event_record
from .transitions import node_transition


def node_accept(*, node: Node, actor: str) -> Node:
    """A discovered node (approval mode) may register: DISCOVERED → REGISTERED, armed."""
    if node.status != NodeStatus.DISCOVERED:
        raise TransitionNotAllowed(
            f"Node {node.uuid} is {NodeStatus(node.status).label}, not discovered: "
            "only discovered nodes are accepted."
        )
    with transaction.atomic():
        node_transition(
            node=node,
            to=NodeStatus.REGISTERED,
            actor=actor,
            message="Accepted: the machine may register and get its BMC",
        )
        # Armed too, so that its iPXE script boots the registration agent again.
        return node_rearm(node=node, actor=actor)


def node_rearm(*, node: Node, actor: str) -> Node:
    """Let the node's next registration through (once, within the arming window)."""
    if node.status in (NodeStatus.DISCOVERED, NodeStatus.RETIRED):
        hint = "accept it instead" if node.status == NodeStatus.DISCOVERED else "un-retire it"
        raise TransitionNotAllowed(f"Node {node.uuid} is {NodeStatus(node.status).label}: {hint}.")
    seconds = settings.BEARMAN_REREGISTRATION_ARM_SECONDS
    until = timezone.now() + timedelta(seconds=seconds)
    with transaction.atomic():
        Node.objects.filter(pk=node.pk).update(reregistration_armed_until=until)
        node.reregistration_armed_until = until
        event_record(
            node=node,
            kind=EventKind.REREGISTRATION_ARMED,
            message=f"Re-registration armed until {until:%Y-%m-%d %H:%M:%S} UTC: the next "
            "registration replaces this node's BMC settings and facts",
            actor=actor,
            data={"until": until.isoformat(), "seconds": seconds},
        )
    return node


def nodes_disarm_expired(*, now) -> int:
    """Forget the armings past their time; returns how many.

    While armed, a node's iPXE script boots the registration agent, and a rendered file
    cannot expire by itself: without this, nginx kept serving that script after the window
    closed, and the agent's registration was refused at every boot.
    """
    disarmed = 0
    for node in Node.objects.filter(reregistration_armed_until__lte=now):
        until = node.reregistration_armed_until
        with transaction.atomic():
            armed = Node.objects.filter(pk=node.pk, reregistration_armed_until=until)
            if not armed.update(reregistration_armed_until=None):
                continue  # used by a registration, or armed again, while we looked
            node.reregistration_armed_until = None
            event_record(
                node=node,
                kind=EventKind.REREGISTRATION_ARMED,
                message=f"Re-registration arming expired at {until:%Y-%m-%d %H:%M:%S} UTC "
                "without a registration",
                actor="system",
                data={"expired": until.isoformat()},
            )
        disarmed += 1
    return disarmed
