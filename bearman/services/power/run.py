"""Power operations in the worker: run one through the node's driver, fail it from
outside (time limit), reap those whose worker vanished."""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bearman.errors import BearmanError
from bearman.metrics import POWER_OPERATIONS, POWER_SECONDS
from bearman.models import (
    NOT_REPEATABLE,
    EventKind,
    Node,
    OperationState,
    PowerAction,
    PowerOperation,
    PowerState,
)
from bearman.power import BmcError, BmcUnreachable, BootDevice, PowerRequest

from ..events import event_record
from .bmc_check import SYSTEM, bmc_check_failed, nodes_mark_bmc_answered
from .bulk import power_bulk_nudge
from .drivers import power_driver_for, power_target_for

BMC_CHECK = (SYSTEM, PowerAction.STATUS)  # who asks, and what, to see a BMC answer

log = logging.getLogger(__name__)

POWER_REQUESTS = {
    PowerAction.ON: PowerRequest.ON,
    PowerAction.OFF: PowerRequest.OFF,
    PowerAction.SOFT_OFF: PowerRequest.SOFT_OFF,
}
BOOT_DEVICES = {
    PowerAction.BOOT_NETWORK: BootDevice.NETWORK,
    PowerAction.BOOT_DISK: BootDevice.DISK,
}
# The worker's hard time limit lies this far past the operation's own limit; the reaper
# waits a little longer still, so it never fails an operation a live worker still runs.
HARD_LIMIT_MARGIN = 10
REAP_MARGIN = HARD_LIMIT_MARGIN + 5
# After these errors nobody knows the machine's power state.
STATE_UNKNOWN_AFTER = (BmcUnreachable,)


def power_operation_run(*, operation_id: int, last_attempt: bool = True) -> PowerOperation | None:
    """Run a PENDING operation through the node's driver and record the outcome.

    Returns None when the operation is not PENDING (another worker has it, or it ended).
    Re-raises a transient BmcError, leaving the operation PENDING, when the caller may
    try again (`last_attempt` false) and repeating the action is safe.
    """
    operation = _claim(operation_id)
    if operation is None:
        return None
    node = operation.node
    try:
        result, power = _perform(operation.action, node)
    except BmcError as error:
        if error.transient and not last_attempt and operation.action not in NOT_REPEATABLE:
            _requeue(operation, error)
            raise
        return _finish(operation, OperationState.FAILED, error=str(error), failure=error)
    except BearmanError as error:  # e.g. the stored BMC password cannot be decrypted
        return _finish(operation, OperationState.FAILED, error=str(error))
    return _finish(operation, OperationState.SUCCEEDED, result=result, power=power)


def _claim(operation_id: int) -> PowerOperation | None:
    """PENDING → RUNNING with a conditional UPDATE: exactly one worker wins."""
    now = timezone.now()
    deadline = now + datetime.timedelta(
        seconds=settings.BEARMAN_POWER_OPERATION_SECONDS + REAP_MARGIN
    )
    claimed = PowerOperation.objects.filter(pk=operation_id, state=OperationState.PENDING).update(
        state=OperationState.RUNNING,
        started_at=now,
        deadline_at=deadline,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        log.info("power operation %s is not pending any more; nothing to do", operation_id)
        return None
    return PowerOperation.objects.select_related("node").get(pk=operation_id)


def _perform(action: str, node: Node):
    """(result in words, power state or None) of one action through the driver."""
    driver, target = power_driver_for(node), power_target_for(node)
    if action in POWER_REQUESTS:
        power = driver.set_power_state(target, POWER_REQUESTS[action])
    elif action == PowerAction.RESET:
        power = driver.reset(target)
    elif action == PowerAction.CYCLE:
        power = driver.cycle(target)
    elif action == PowerAction.STATUS:
        power = driver.get_power_state(target)
    else:
        device = BOOT_DEVICES[action]
        driver.set_boot_device(target, device)
        return f"next boot from {device}", None
    return f"power is {power}", power


def _requeue(operation: PowerOperation, error: BmcError) -> None:
    PowerOperation.objects.filter(pk=operation.pk, state=OperationState.RUNNING).update(
        state=OperationState.PENDING,
        error=f"attempt {operation.attempts} failed, trying again: {error}",
        queued_at=timezone.now(),
        deadline_at=None,
    )


def _finish(operation, state, *, result="", error="", power=None, failure=None):
    """RUNNING → SUCCEEDED/FAILED, the node's power state, and the Event."""
    now = timezone.now()
    with transaction.atomic():
        finished = PowerOperation.objects.filter(
            pk=operation.pk, state=OperationState.RUNNING
        ).update(state=state, result=result, error=error, finished_at=now)
        if power is not None or isinstance(failure, STATE_UNKNOWN_AFTER):
            Node.objects.filter(pk=operation.node_id).update(
                power_state=power or PowerState.UNKNOWN, power_state_at=now
            )
        if finished:
            _record(operation, state, result or error)
        if finished and state == OperationState.SUCCEEDED:
            nodes_mark_bmc_answered(node_ids=[operation.node_id])
        elif finished and (operation.requested_by, operation.action) == BMC_CHECK:
            bmc_check_failed(node_id=operation.node_id)
    if not finished:  # someone else finished it first: show what they wrote
        operation.refresh_from_db()
        return operation
    operation.state, operation.result, operation.error = state, result, error
    operation.finished_at = now  # no need to read back what we just wrote
    if operation.bulk_request_id:
        _bulk_nudge(operation.bulk_request_id)
    POWER_OPERATIONS.labels(operation.action, state).inc()
    if operation.started_at:
        elapsed = (operation.finished_at - operation.started_at).total_seconds()
        POWER_SECONDS.labels(operation.action).observe(elapsed)
    return operation


def _bulk_nudge(bulk_id: int) -> None:
    transaction.on_commit(lambda: power_bulk_nudge(bulk_id=bulk_id))


def _record(operation: PowerOperation, state: str, outcome: str) -> None:
    label = OperationState(state).label.lower()
    event_record(
        node=operation.node,
        kind=EventKind.POWER,
        message=f"{operation.get_action_display()} {label}: {outcome}",
        actor=operation.requested_by,
        data={"operation": operation.pk, "action": operation.action, "state": state},
    )


def power_operation_fail(*, operation_id: int, error: str) -> None:
    """Fail a RUNNING operation from outside the driver (the worker's time limit)."""
    operation = PowerOperation.objects.select_related("node").filter(pk=operation_id).first()
    if operation is not None:
        _finish(operation, OperationState.FAILED, error=error, failure=BmcUnreachable(error))


def power_operations_reap(*, now: datetime.datetime | None = None) -> int:
    """Fail operations whose worker vanished, or that no worker picked up; returns how many."""
    now = now or timezone.now()
    stale_queue = now - datetime.timedelta(seconds=settings.BEARMAN_POWER_QUEUE_SECONDS)
    lost = PowerOperation.objects.select_related("node").filter(
        state=OperationState.RUNNING, deadline_at__lt=now
    )
    forgotten = PowerOperation.objects.select_related("node").filter(
        state=OperationState.PENDING, queued_at__lt=stale_queue
    )
    reaped = 0
    for operation in lost:
        reaped += _reap(
            operation,
            OperationState.RUNNING,
            "the worker running it stopped before it finished; the machine's power state is "
            "unknown until the next refresh",
        )
    for operation in forgotten:
        minutes = settings.BEARMAN_POWER_QUEUE_SECONDS / 60
        reaped += _reap(
            operation,
            OperationState.PENDING,
            f"no worker picked it up within {minutes:g} min: is a Celery worker running?",
        )
    return reaped


def _reap(operation: PowerOperation, expected: str, error: str) -> int:
    now = timezone.now()
    with transaction.atomic():
        if not PowerOperation.objects.filter(pk=operation.pk, state=expected).update(
            state=OperationState.FAILED, error=error, finished_at=now
        ):
            return 0
        if expected == OperationState.RUNNING:
            Node.objects.filter(pk=operation.node_id).update(
                power_state=PowerState.UNKNOWN, power_state_at=now
            )
        _record(operation, OperationState.FAILED, error)
    return 1
