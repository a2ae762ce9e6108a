"""Power operations in the worker: run one through the node's driver, fail it from
outside (time limit), reap those whose worker vanished."""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
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
from bearman.power import BmcError, BootDevice, PowerRequest

from ..events import event_record
from ..timeline import timeline_powered_on
from .bmc_check import SYSTEM, bmc_check_failed, nodes_mark_bmc_answered
from .bulk import power_bulk_nudge
from .drivers import power_driver_for, power_target_for
from .pacing import BmcBreakerOpen, BmcBusy, Verdict, bmc_command, bmc_for
from .reconcile import power_unclaimed_cause, power_workers_queues

BMC_CHECK = (SYSTEM, PowerAction.STATUS)  # who asks, and what, to see a BMC answer
# The actions that start a machine booting: the first step of a Baremetal's timeline.
POWERING_ON = frozenset({PowerAction.ON, PowerAction.CYCLE, PowerAction.RESET})

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
# The database is away (stopped, restarting, refusing connections, a connection cut):
# worth trying again later. Other database errors are bugs that no retry mends.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


@dataclass(frozen=True)
class PowerOutcome:
    """What one attempt learnt, kept until it is recorded: the database may be away."""

    state: str  # SUCCEEDED or FAILED; PENDING: a transient failure, to be tried again
    result: str = ""
    error: str = ""
    power: str | None = None  # the node's power state now, when the attempt told it


class PowerOutcomeUnrecorded(BearmanError):
    """An attempt ended while the database was unavailable; `outcome` waits to be recorded."""

    def __init__(self, outcome: PowerOutcome):
        super().__init__(
            f"the database was unavailable to record: {outcome.result or outcome.error}"
        )
        self.outcome = outcome


class PowerOperationPaced(BearmanError):
    """The BMC is busy with another command: the operation is still PENDING; try again
    in `seconds` (rescheduled rather than slept, so the worker slot serves others)."""

    def __init__(self, message: str, *, seconds: float):
        super().__init__(message)
        self.seconds = seconds


class PowerOperationRequeued(BearmanError):
    """A transient BMC error: the operation is PENDING again, for attempt `attempt` + 1."""

    def __init__(self, message: str, *, attempt: int):
        super().__init__(message)
        self.attempt = attempt


def power_operation_run(*, operation_id: int, attempts: int = 1) -> PowerOperation | None:
    """Run a PENDING operation through the node's driver and record the outcome.

    Returns None when the operation is not PENDING (another worker has it, or it ended).
    After a transient BMC error, while the operation has had fewer than `attempts` and
    repeating its action is safe, it is PENDING again and PowerOperationRequeued raised.
    PowerOutcomeUnrecorded: the database went away before the outcome was recorded;
    `power_outcome_record` records it later. PowerOperationPaced: another command holds
    the BMC (pacing); the operation is still PENDING, to be run again a little later.
    """
    pending = _pending(operation_id)
    if pending is None:
        return None
    # An operator's action is tried even while the BMC's breaker is open: it is the
    # half-open probe (someone may just have mended the BMC) and its answer moves the
    # breaker. Bearman's own checks fail at once instead of waiting on a dead BMC.
    operator = pending.requested_by != SYSTEM
    try:
        with bmc_command(bmc_for(pending.node), probe_open=operator) as verdict:
            operation = _claim(pending)
            if operation is None:
                return None
            again = operation.attempts < attempts and operation.action not in NOT_REPEATABLE
            outcome = _attempt(operation, again=again, verdict=verdict)
    except BmcBusy as busy:  # still PENDING: the task looks again shortly
        raise PowerOperationPaced(str(busy), seconds=busy.retry_in) from None
    except BmcBreakerOpen as refused:
        operation = _claim(pending)
        if operation is None:
            return None
        outcome = PowerOutcome(OperationState.FAILED, error=str(refused))
    return _record_outcome(operation, outcome)


def power_outcome_record(*, operation_id: int, outcome: PowerOutcome) -> PowerOperation | None:
    """Record an attempt's outcome that the database was unavailable for (as the run does).

    None when the operation is not RUNNING any more (the reaper failed it meanwhile).
    """
    operation = (
        PowerOperation.objects.select_related("node")
        .filter(pk=operation_id, state=OperationState.RUNNING)
        .first()
    )
    if operation is None:
        log.warning("power operation %s ended meanwhile; not recorded: %s", operation_id, outcome)
        return None
    return _record_outcome(operation, outcome)


def _pending(operation_id: int) -> PowerOperation | None:
    """The operation with its node, if it is still PENDING."""
    operation = PowerOperation.objects.select_related("node").filter(pk=operation_id).first()
    if operation is None or operation.state != OperationState.PENDING:
        log.info("power operation %s is not pending any more; nothing to do", operation_id)
        return None
    return operation


def _claim(operation: PowerOperation) -> PowerOperation | None:
    """PENDING → RUNNING with a conditional UPDATE: exactly one worker wins.

    Read first (`_pending`), claim last: a database lost between the two leaves it
    PENDING, never RUNNING with nobody running it.
    """
    operation_id = operation.pk
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
        log.info("power operation %s was claimed by another worker", operation_id)
        return None
    operation.state, operation.started_at, operation.deadline_at = (
        OperationState.RUNNING,
        now,
        deadline,
    )
    operation.attempts += 1
    return operation


def _attempt(operation: PowerOperation, *, again: bool, verdict: Verdict) -> PowerOutcome:
    """One try through the driver; `again`: a transient failure may be tried again."""
    try:
        result, power = _perform(operation.action, operation.node)
    except BmcError as error:
        verdict.failed(error)
        state = OperationState.PENDING if error.transient and again else OperationState.FAILED
        known = error.power or (PowerState.UNKNOWN if error.power_unknown else None)
        return PowerOutcome(state, error=str(error), power=known)
    except BearmanError as error:  # e.g. the stored BMC password cannot be decrypted
        return PowerOutcome(OperationState.FAILED, error=str(error))
    except DATABASE_UNAVAILABLE as error:  # the fake driver keeps its machines there
        state = OperationState.PENDING if again else OperationState.FAILED
        outcome = PowerOutcome(
            state, error=f"the database became unavailable: {str(error).strip()}"
        )
        raise PowerOutcomeUnrecorded(outcome) from error
    verdict.answered = True
    return PowerOutcome(OperationState.SUCCEEDED, result=result, power=power)


def _record_outcome(operation: PowerOperation, outcome: PowerOutcome) -> PowerOperation:
    try:
        if outcome.state != OperationState.PENDING:
            return _finish(operation, outcome)
        _requeue(operation, outcome.error)
    except DATABASE_UNAVAILABLE as error:
        raise PowerOutcomeUnrecorded(outcome) from error
    raise PowerOperationRequeued(outcome.error, attempt=operation.attempts)


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


def _requeue(operation: PowerOperation, error: str) -> None:
    PowerOperation.objects.filter(pk=operation.pk, state=OperationState.RUNNING).update(
        state=OperationState.PENDING,
        error=f"attempt {operation.attempts} failed, trying again: {error}",
        queued_at=timezone.now(),
        deadline_at=None,
    )


def _finish(operation: PowerOperation, outcome: PowerOutcome) -> PowerOperation:
    """RUNNING → SUCCEEDED/FAILED, the node's power state, and the Event."""
    now, state = timezone.now(), outcome.state
    with transaction.atomic():
        finished = PowerOperation.objects.filter(
            pk=operation.pk, state=OperationState.RUNNING
        ).update(state=state, result=outcome.result, error=outcome.error, finished_at=now)
        if outcome.power is not None:
            Node.objects.filter(pk=operation.node_id).update(
                power_state=outcome.power, power_state_at=now
            )
        if finished:
            _record(operation, state, outcome.result or outcome.error)
        if finished and state == OperationState.SUCCEEDED:
            nodes_mark_bmc_answered(node_ids=[operation.node_id])
            if operation.action in POWERING_ON:
                timeline_powered_on(
                    node_id=operation.node_id,
                    uuid=operation.node.uuid,
                    detail=f"{operation.get_action_display()} by {operation.requested_by}",
                    at=operation.started_at or now,
                )
        elif finished and (operation.requested_by, operation.action) == BMC_CHECK:
            bmc_check_failed(node_id=operation.node_id)
    if not finished:  # someone else finished it first: show what they wrote
        operation.refresh_from_db()
        return operation
    operation.state, operation.result, operation.error = state, outcome.result, outcome.error
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
        _finish(
            operation, PowerOutcome(OperationState.FAILED, error=error, power=PowerState.UNKNOWN)
        )


def power_operations_reap(*, now: datetime.datetime | None = None) -> int:
    """Fail operations whose worker vanished, or that no worker took in time; how many."""
    now = now or timezone.now()
    stale_queue = now - datetime.timedelta(seconds=settings.BEARMAN_POWER_QUEUE_SECONDS)
    lost = PowerOperation.objects.select_related("node").filter(
        state=OperationState.RUNNING, deadline_at__lt=now
    )
    forgotten = list(
        PowerOperation.objects.select_related("node").filter(
            state=OperationState.PENDING, queued_at__lt=stale_queue
        )
    )
    reaped = 0
    for operation in lost:
        reaped += _reap(
            operation,
            OperationState.RUNNING,
            "the worker running it stopped before it finished, or could not reach the database "
            "to record how it ended; the machine's power state is unknown until the next "
            "refresh",
        )
    workers = power_workers_queues() if forgotten else None  # asked once, only when needed
    for operation in forgotten:
        cause = power_unclaimed_cause(operation, now=now, workers=workers)
        reaped += _reap(operation, OperationState.PENDING, cause)
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
