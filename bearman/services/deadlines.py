"""Deadlines: machines that went quiet are flagged, so nobody has to walk the racks."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q

from bearman.errors import TransitionConflict, TransitionNotAllowed
from bearman.models import Baremetal, Node, NoticeKind, PowerState
from bearman.states import DeployStatus, NodeStatus

from .notices import notice_raise
from .transitions import baremetal_transition, node_transition

SYSTEM = "system"


def baremetal_deadline(baremetal: Baremetal):
    """When a waiting or running Baremetal counts as stuck; None for one that is neither."""
    since = {
        DeployStatus.DEPLOY_START: baremetal.deploy_started_at,
        DeployStatus.DEPLOYING: baremetal.deploying_at,
    }.get(baremetal.status)
    minutes = settings.BEARMAN_DEPLOY_DEADLINE_MINUTES
    return since + timedelta(minutes=minutes) if since else None


def registration_deadline(node: Node):
    """When a registered node whose BMC stayed silent counts as lost; None before Register."""
    minutes = settings.BEARMAN_BMC_DEADLINE_MINUTES
    since = node.last_registered_at
    return since + timedelta(minutes=minutes) if since else None


def baremetals_flag_stuck(*, now) -> int:
    """Fail Baremetals stuck in DEPLOY_START or DEPLOYING past the deadline."""
    minutes = settings.BEARMAN_DEPLOY_DEADLINE_MINUTES
    deadline = now - timedelta(minutes=minutes)
    stuck = Baremetal.objects.select_related("node").filter(
        Q(status=DeployStatus.DEPLOY_START, deploy_started_at__lt=deadline)
        | Q(status=DeployStatus.DEPLOYING, deploying_at__lt=deadline)
    )
    flagged = 0
    for baremetal in stuck:
        message = f"stuck in {baremetal.get_status_display()} for more than {minutes} minutes"
        try:
            baremetal_transition(
                baremetal=baremetal,
                to=DeployStatus.UNRECOVERABLE_ERROR,
                actor=SYSTEM,
                error=message,
            )
        except (TransitionConflict, TransitionNotAllowed):
            continue  # it moved on while we looked
        notice_raise(
            node=baremetal.node,
            kind=NoticeKind.BAREMETAL_STUCK,
            message=f"Baremetal {baremetal.hostname} {message}",
        )
        flagged += 1
    return flagged


def nodes_flag_silent_bmcs(*, now) -> int:
    """Flag registered nodes whose BMC never answered within the deadline."""
    minutes = settings.BEARMAN_BMC_DEADLINE_MINUTES
    silent = Node.objects.filter(
        status=NodeStatus.REGISTERED,
        power_state=PowerState.UNKNOWN,
        last_registered_at__lt=now - timedelta(minutes=minutes),
    )
    flagged = 0
    for node in silent:
        message = f"BMC {node.bmc_address or '(no address)'} has not answered for {minutes} minutes"
        try:
            node_transition(node=node, to=NodeStatus.ERROR, actor=SYSTEM, message=message)
        except (TransitionConflict, TransitionNotAllowed):
            continue
        notice_raise(node=node, kind=NoticeKind.BMC_UNREACHABLE, message=message)
        flagged += 1
    return flagged
