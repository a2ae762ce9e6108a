"""A registered node becomes READY once its BMC has answered Bearman over the network."""

from django.conf import settings

from bearman.errors import TransitionConflict
from bearman.models import BootStepName, Node, OperationState, PowerAction, PowerOperation
from bearman.states import NodeStatus

from ..timeline import registration_step_record
from ..transitions import node_transition
from .request import power_actions_request_many

SYSTEM = "system"


def nodes_mark_bmc_answered(*, node_ids) -> None:
    """REGISTERED → READY for these nodes, whose BMC just answered a power call."""
    for node in Node.objects.filter(pk__in=list(node_ids), status=NodeStatus.REGISTERED):
        try:
            node_transition(
                node=node,
                to=NodeStatus.READY,
                actor=SYSTEM,
                message=f"BMC {node.bmc_address} answered: ready",
            )
        except TransitionConflict:
            continue  # moved on meanwhile (an operator, a failure): theirs wins
        registration_step_record(
            uuid=node.uuid, step=BootStepName.BMC_ANSWERED, detail=f"BMC {node.bmc_address}"
        )


def bmc_checks_request(*, node_ids: list[int]) -> None:
    """Record a power-status request for each node in the caller's transaction.

    They commit with the caller's writes or not at all, and are queued for a worker once
    committed; an operation already in flight proves the BMC just as well.
    """
    power_actions_request_many(
        node_ids=node_ids,
        action=PowerAction.STATUS,
        actor=SYSTEM,
        delay_seconds=settings.BEARMAN_BMC_CHECK_DELAY_SECONDS,
    )


def bmc_check_failed(*, node_id: int) -> None:
    """Check again later a registered node whose BMC did not answer, while attempts remain.

    Register answers before the agent has configured the BMC (seen with real ipmitool and
    ipmi_sim: the first check came while the agent was still setting the user), so one
    failed check proves nothing yet. Call inside the transaction that recorded the failure.
    """
    node = Node.objects.filter(pk=node_id, status=NodeStatus.REGISTERED).first()
    if node is None:
        return
    failed = PowerOperation.objects.filter(
        node_id=node_id,
        action=PowerAction.STATUS,
        requested_by=SYSTEM,
        state=OperationState.FAILED,
    )
    if node.last_registered_at:
        failed = failed.filter(queued_at__gte=node.last_registered_at)
    if failed.count() < settings.BEARMAN_BMC_CHECK_ATTEMPTS:
        bmc_checks_request(node_ids=[node_id])
