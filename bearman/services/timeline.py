"""The boot timeline: each step of a run recorded once, and read back with a diagnosis.

A step is written where it happens (the power worker, the iPXE marker, the agent API), as
one INSERT that a unique constraint turns into nothing when the step is already there:
the first occurrence wins, so a node retrying a step keeps the time it first got there.
"""

import datetime
import enum
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from bearman.errors import NodeNotFound
from bearman.metrics import BOOT_STEP_SECONDS
from bearman.models import Baremetal, BootFlow, BootStep, BootStepName, Node
from bearman.states import DeployStatus, NodeStatus

from .agent_tokens import baremetal_for_token
from .deadlines import baremetal_deadline, registration_deadline

Step = BootStepName

# Each flow's steps in the order a healthy run takes them; FAILED ends a run anywhere.
BAREMETAL_STEPS = (
    Step.POWERED_ON,
    Step.IPXE_FETCHED,
    Step.PROFILE_CLAIMED,
    Step.DETAIL_FETCHED,
    Step.ARTIFACTS_DOWNLOADED,
    Step.INSTALL_STARTED,
    Step.INSTALLED,
)
REGISTRATION_STEPS = (
    Step.IPXE_FETCHED,
    Step.REGISTERED,
    Step.BMC_CONFIGURED,
    Step.POWERING_OFF,
    Step.BMC_ANSWERED,
)
# What the agent itself may report (ReportProgress), and with which token.
AGENT_BAREMETAL_STEPS = frozenset({Step.ARTIFACTS_DOWNLOADED, Step.INSTALL_STARTED})
AGENT_REGISTRATION_STEPS = frozenset({Step.BMC_CONFIGURED, Step.POWERING_OFF})

# Where a run stopped, said for the person who has to walk to the rack: keyed by the
# step that never came.
STOPPED_BEFORE = {
    Step.POWERED_ON: "Bearman never powered the node on: no power on, cycle or reset "
    "succeeded for this run. Power it on (its BMC must answer).",
    Step.IPXE_FETCHED: "No iPXE request at all: the node did not network-boot. Check its "
    "firmware boot order, DHCP (next-server and boot file) and the provisioning network.",
    Step.PROFILE_CLAIMED: "iPXE fetched its script, but the first stage never called "
    "GetProfile: the first-stage image did not boot (kernel or initrd download, the "
    "console shows why) or its agent cannot reach the gRPC endpoint.",
    Step.DETAIL_FETCHED: "The agent claimed the Baremetal (GetProfile) but never asked "
    "for its detail (GetDetail): it stopped or lost the gRPC server right after; see its "
    "console.",
    Step.ARTIFACTS_DOWNLOADED: "GetDetail answered, but the profile's kernel and initrd "
    "were never downloaded: their URLs are unreachable from the node, or the checksum "
    "does not match.",
    Step.INSTALL_STARTED: "The artifacts were downloaded, but the install script never "
    "started: the agent stopped between the two; see its console.",
    Step.INSTALLED: "The install script started, but no report came: the install script "
    "hung, or the machine died or rebooted while it ran.",
    Step.REGISTERED: "iPXE fetched the registration script, but the first stage never "
    "called Register: the first-stage image did not boot or cannot reach the gRPC "
    "endpoint.",
    Step.BMC_CONFIGURED: "The node registered, but the agent never said it configured the "
    "BMC: ipmitool failed in the first stage; see its console.",
    Step.POWERING_OFF: "The agent configured the BMC but never powered the node off.",
    Step.BMC_ANSWERED: "The BMC never answered Bearman's worker: its address is not "
    "reachable from the worker (IPMI network, VLAN) or it refuses the credentials.",
}

# Statuses a registration never leads back from by itself: its run is over (an operator
# holding a node in maintenance is not a registration that stopped).
PAST_REGISTRATION = frozenset({NodeStatus.READY, NodeStatus.MAINTENANCE, NodeStatus.RETIRED})

# How long the steps of a UUID no node has are kept (its first stage may still register).
STRANGER_STEPS_KEPT = datetime.timedelta(days=1)

# Each new row comes back with when its run reached a step before this one, for the
# histogram: earlier than this INSERT's time, so rows of the same INSERT never count (the
# same on both engines, whatever each lets a RETURNING subquery see).
INSERT = (
    "INSERT INTO {table} (node_uuid, flow, baremetal_id, step, at, detail) "
    "VALUES {rows} ON CONFLICT DO NOTHING RETURNING node_uuid, flow, step, "
    "(SELECT MAX(earlier.at) FROM {table} AS earlier WHERE earlier.node_uuid = "
    "{table}.node_uuid AND earlier.flow = {table}.flow AND earlier.at < %s)"
)


@dataclass(frozen=True)
class StepRecord:
    """A step to record for one node's current run."""

    uuid: str
    flow: BootFlow
    step: BootStepName
    baremetal_id: int | None = None
    detail: str = ""


def boot_steps_record(*, records: list[StepRecord], at: datetime.datetime | None = None) -> int:
    """Record each step unless its run has it already, in one INSERT; how many were new."""
    if not records:
        return 0
    at = at or timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(at)
    params = []
    for record in records:
        params += [record.uuid, record.flow, record.baremetal_id, record.step]
        params += [stamp, record.detail[:300]]
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(records))
    table = BootStep._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(INSERT.format(table=table, rows=rows), [*params, stamp])
        new = {(uuid, flow, step): _as_datetime(before) for uuid, flow, step, before in cursor}
    created = [r for r in records if (r.uuid, r.flow, r.step) in new]
    if created:
        durations = _durations(created, [new[r.uuid, r.flow, r.step] for r in created], at)
        transaction.on_commit(lambda: _observe(durations), robust=True)
    return len(created)


def boot_step_record(
    *,
    uuid: str,
    flow: BootFlow,
    step: BootStepName,
    baremetal_id: int | None = None,
    detail: str = "",
    at: datetime.datetime | None = None,
) -> bool:
    """Record one step unless its run has it already; True when it is new."""
    record = StepRecord(uuid, flow, step, baremetal_id, detail)
    return boot_steps_record(records=[record], at=at) == 1


def _durations(records: list[StepRecord], before: list, at: datetime.datetime) -> list:
    """Each new step's time since its run's step before it (a Baremetal's first step:
    since its deploy started); None when there is nothing before it."""
    started = {}
    first = {r.baremetal_id for r, when in zip(records, before, strict=True) if when is None}
    if first - {None}:
        started = dict(
            Baremetal.objects.filter(pk__in=first - {None}).values_list("pk", "deploy_started_at")
        )
    durations = []
    for record, when in zip(records, before, strict=True):
        when = when or started.get(record.baremetal_id)
        seconds = None if when is None else max((at - when).total_seconds(), 0.0)
        durations.append((record.flow, record.step, seconds))
    return durations


def _observe(durations: list) -> None:
    """The histogram, once the steps are committed."""
    for flow, step, seconds in durations:
        if seconds is not None:
            BOOT_STEP_SECONDS.labels(flow, step).observe(seconds)


def _as_datetime(value) -> datetime.datetime | None:
    # SQLite hands a computed column back as its stored text (UTC, as Django writes it).
    if isinstance(value, str):
        return parse_datetime(value).replace(tzinfo=datetime.UTC)
    return value


def baremetal_step_record(*, baremetal: Baremetal, step: BootStepName, detail: str = "") -> bool:
    """A step of this Baremetal's current run."""
    return boot_step_record(
        uuid=baremetal.node.uuid,
        flow=BootFlow.BAREMETAL,
        step=step,
        baremetal_id=baremetal.pk,
        detail=detail,
    )


def registration_step_record(*, uuid: str, step: BootStepName, detail: str = "") -> bool:
    """A step of the node's registration."""
    return boot_step_record(uuid=uuid, flow=BootFlow.REGISTRATION, step=step, detail=detail)


def timeline_powered_on(*, node_id: int, uuid: str, detail: str, at: datetime.datetime) -> None:
    """Bearman powered the node on: the first step of its pending Baremetal, if any.

    `at`: when the command went out, not when its outcome was written: a fast machine
    fetches its script before the worker has recorded that the BMC said yes.
    """
    pending = Baremetal.objects.filter(node_id=node_id, status=DeployStatus.DEPLOY_START)
    _pending_baremetal_step_record(pending, uuid=uuid, step=Step.POWERED_ON, detail=detail, at=at)


def timeline_ipxe_fetched(*, uuid: str, script: str) -> None:
    """The firmware ran the `script` ("register", "deploy", "direct") Bearman served it."""
    if script == "register":
        _registration_restart_if_finished(uuid)
        registration_step_record(uuid=uuid, step=Step.IPXE_FETCHED)
        return
    pending = Baremetal.objects.filter(node__uuid=uuid, status=DeployStatus.DEPLOY_START)
    _pending_baremetal_step_record(
        pending, uuid=uuid, step=Step.IPXE_FETCHED, detail=f"{script} script"
    )


def _pending_baremetal_step_record(
    pending, *, uuid: str, step: BootStepName, detail: str, at: datetime.datetime | None = None
) -> None:
    """Record `step` for the node's Baremetal waiting to boot, when it has one."""
    baremetal_id = pending.values_list("pk", flat=True).first()
    if baremetal_id is not None:
        boot_step_record(
            uuid=uuid,
            flow=BootFlow.BAREMETAL,
            step=step,
            baremetal_id=baremetal_id,
            detail=detail,
            at=at,
        )


def boot_steps_of_strangers_forget(*, now: datetime.datetime) -> int:
    """Forget the iPXE fetches of UUIDs that never registered, a day on; how many.

    Anyone on the provisioning network may ask for the script of a made-up UUID, and each
    one's fetch is a row: they must not pile up.
    """
    strangers = BootStep.objects.filter(
        flow=BootFlow.REGISTRATION, at__lt=now - STRANGER_STEPS_KEPT
    ).exclude(Exists(Node.objects.filter(uuid=OuterRef("node_uuid"))))
    return strangers.delete()[0]


def _registration_restart_if_finished(uuid: str) -> None:
    """A registration fetched after one that ended (ready, failed) is a new run."""
    ended = BootStep.objects.filter(
        node_uuid=uuid,
        flow=BootFlow.REGISTRATION,
        step__in=[Step.BMC_ANSWERED, Step.FAILED],
    )
    BootStep.objects.filter(node_uuid=uuid, flow=BootFlow.REGISTRATION).filter(
        Exists(ended.filter(node_uuid=OuterRef("node_uuid")))
    ).delete()


class RunState(enum.StrEnum):
    """Where a run is, as the timeline tells it."""

    RUNNING = "running"  # waiting for its next step, within its deadline
    DONE = "done"  # installed, or registered with its BMC answering
    FAILED = "failed"  # reported failed, or failed by the deadline check
    STUCK = "stuck"  # past its deadline; the deadline check will fail it


@dataclass(frozen=True)
class TimelineEntry:
    """One step of a run: when, and how long after the step before it."""

    step: str
    label: str
    at: datetime.datetime
    since_previous: datetime.timedelta | None
    detail: str


@dataclass(frozen=True)
class Timeline:
    """A run's steps in order, where it stopped and, when it went wrong, why in words."""

    flow: str
    state: RunState
    entries: list[TimelineEntry]
    stopped_after: str  # the last step reached ("" when none)
    waiting_for: str  # the step that has not come ("" when done)
    diagnosis: str  # plain words for a failed or stuck run, else ""
    deadline: datetime.datetime | None

    @property
    def total(self) -> datetime.timedelta | None:
        """From the first step to the last."""
        if len(self.entries) < 2:
            return None
        return self.entries[-1].at - self.entries[0].at


def baremetal_timeline(*, baremetal: Baremetal, now: datetime.datetime | None = None) -> Timeline:
    """The current run of this Baremetal, classified against its deadline."""
    now = now or timezone.now()
    steps = list(BootStep.objects.filter(baremetal_id=baremetal.pk))
    deadline = baremetal_deadline(baremetal)
    if baremetal.status == DeployStatus.INSTALLED:
        state = RunState.DONE
    elif baremetal.status == DeployStatus.UNRECOVERABLE_ERROR:
        state = RunState.FAILED
    else:
        state = _in_time(now, deadline)
    return _timeline(
        BootFlow.BAREMETAL, BAREMETAL_STEPS, steps, state, deadline, baremetal.last_error
    )


def registration_timeline(*, uuid: str, now: datetime.datetime | None = None) -> Timeline:
    """The node's latest registration, classified against the BMC deadline."""
    now = now or timezone.now()
    steps = list(BootStep.objects.filter(node_uuid=uuid, flow=BootFlow.REGISTRATION))
    node = Node.objects.filter(uuid=uuid).only("status", "last_registered_at").first()
    deadline = registration_deadline(node) if node else None
    reached = {step.step for step in steps}
    if Step.BMC_ANSWERED in reached or (node and node.status in PAST_REGISTRATION):
        state = RunState.DONE
    elif Step.FAILED in reached or (node and node.status == NodeStatus.ERROR):
        state = RunState.FAILED
    else:
        state = _in_time(now, deadline)
    return _timeline(BootFlow.REGISTRATION, REGISTRATION_STEPS, steps, state, deadline, "")


def _in_time(now: datetime.datetime, deadline: datetime.datetime | None) -> RunState:
    return RunState.STUCK if deadline is not None and now > deadline else RunState.RUNNING


def _timeline(flow, order, steps, state, deadline, last_error) -> Timeline:
    entries, previous = [], None
    for step in steps:
        since = step.at - previous if previous is not None else None
        label = BootStepName(step.step).label
        entries.append(TimelineEntry(step.step, label, step.at, since, step.detail))
        previous = step.at
    reached = [step.step for step in steps if step.step in order]
    furthest = max((order.index(step) for step in reached), default=-1)
    waiting = order[furthest + 1] if furthest + 1 < len(order) else None
    if state == RunState.DONE:
        waiting = None
    return Timeline(
        flow=str(flow),
        state=state,
        entries=entries,
        stopped_after=order[furthest] if furthest >= 0 else "",
        waiting_for=waiting or "",
        diagnosis=_diagnosis(state, waiting, steps, last_error),
        deadline=deadline,
    )


def _diagnosis(state: RunState, waiting, steps, last_error: str) -> str:
    if state in (RunState.DONE, RunState.RUNNING):
        return ""
    reported = next((step for step in steps if step.step == Step.FAILED), None)
    if reported is not None:
        return f"The agent reported a failure: {reported.detail or last_error or 'no message'}"
    words = STOPPED_BEFORE.get(waiting, "")
    if state == RunState.STUCK:
        return f"Past its deadline. {words}"
    return f"{words} ({last_error})" if last_error and words else words or last_error


def baremetal_progress_report(*, uuid: str, token: str, step: BootStepName) -> None:
    """The agent reached a Baremetal step only it sees (ReportProgress, agent token)."""
    if step not in AGENT_BAREMETAL_STEPS:
        raise ValidationError(f"step {step} is not a Baremetal step an agent reports")
    baremetal = baremetal_for_token(uuid=uuid, token=token)
    baremetal_step_record(baremetal=baremetal, step=step)


def registration_progress_report(*, uuid: str, step: BootStepName) -> None:
    """The agent reached a registration step only it sees (ReportProgress, enrollment token)."""
    if step not in AGENT_REGISTRATION_STEPS:
        raise ValidationError(f"step {step} is not a registration step an agent reports")
    if not Node.objects.filter(uuid=uuid).exists():
        raise NodeNotFound(f"No node has the system UUID {uuid}; register it first.")
    registration_step_record(uuid=uuid, step=step)
