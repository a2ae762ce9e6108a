"""Pacing per BMC and its circuit breaker, shared by every worker process through the
database (one BmcHealth row per BMC address and port).

A command takes the BMC's slot with one conditional UPDATE (`next_command_at` has
passed, and the breaker is not open unless the caller may probe it), holding it for a
lease; its end frees the slot for the minimum interval later (Ironic's
min_command_interval) and records the verdict. The database, not Redis: it is there in
every setup (the embedded default has no Redis), and a conditional UPDATE is atomic on
SQLite and PostgreSQL alike.

What a caller does with a busy slot is its own choice: a short wait is slept (cheaper
than a round trip through the broker, and a slot held for `SLEEP_MAX` at most); a longer
one (another command is running on that BMC) is left to the caller, who reschedules
(operations) or skips (the sync), so no worker slot waits behind one BMC while others
have work.

The fake driver has no BMC to spare and is not paced.
"""

import datetime
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from bearman.errors import BearmanError
from bearman.models import BmcDriver, BmcHealth, BreakerState, Node
from bearman.power import BmcError

log = logging.getLogger(__name__)

SLEEP_MAX = 2.0  # seconds a caller sleeps for a slot before it goes and does other work
POLL_SECONDS = 0.1  # while another command holds the slot (its end is not known)
RECHECK_SECONDS = 2.0  # a slot held past SLEEP_MAX: look again this much later
LEASE_MARGIN = 15  # past an operation's limit: a worker killed mid-command frees the slot
CLOSED = {"failures": 0, "failing_since": None, "retry_at": None}  # a BMC that answered


@dataclass(frozen=True)
class Bmc:
    """One BMC as pacing knows it: address and port (a chassis' nodes share one)."""

    address: str
    port: int

    @property
    def where(self) -> str:
        """The BMC as messages name it: the address, with the port when not IPMI's."""
        return self.address if self.port == 623 else f"{self.address}:{self.port}"


class BmcBusy(BearmanError):
    """The BMC's slot is not free within what the caller sleeps for.

    `wait`: seconds until it is, or None while another command holds it (its end is not
    known); `retry_in`: when to look again.
    """

    def __init__(self, bmc: Bmc, wait: float | None):
        busy = "busy with another command" if wait is None else f"paced for {wait:.1f} s more"
        super().__init__(f"BMC {bmc.where} is {busy}")
        self.wait = wait
        self.retry_in = RECHECK_SECONDS if wait is None else wait


class BmcBreakerOpen(BearmanError):
    """The BMC failed too often in a row: it is left alone until its next try."""


class Verdict:
    """What the command told of the BMC, set by the caller inside `bmc_command`."""

    def __init__(self):
        self.answered, self.error = False, None

    def failed(self, error: BmcError) -> None:
        """The BMC did not do what was asked; only silence counts against it (below)."""
        if error.transient:  # unreachable, or went silent: a BMC that answers is alive
            self.error = error
        else:
            self.answered = True


def bmc_for(node: Node) -> Bmc | None:
    """The BMC pacing guards for `node`, or None (no address, or the fake driver)."""
    if not node.bmc_address or node.bmc_driver == BmcDriver.FAKE:
        return None
    return Bmc(node.bmc_address, node.bmc_port)


def bmcs_register(*, bmcs) -> dict[Bmc, int]:
    """Make sure each BMC has its row; their ids (one INSERT, one SELECT)."""
    bmcs = set(bmcs)
    rows = [BmcHealth(address=bmc.address, port=bmc.port) for bmc in bmcs]
    BmcHealth.objects.bulk_create(rows, ignore_conflicts=True)
    found = BmcHealth.objects.filter(address__in={bmc.address for bmc in bmcs})
    ids = {Bmc(a, p): pk for pk, a, p in found.values_list("pk", "address", "port")}
    return {bmc: ids[bmc] for bmc in bmcs}


def bmcs_take(*, ids: dict[Bmc, int]) -> dict[Bmc, BearmanError | None]:
    """Take the slots of many BMCs at once, never probing an open breaker (the sync): for
    each, None when taken, else why not (BmcBusy, BmcBreakerOpen). One UPDATE, one SELECT:
    a slot per BMC, one statement each, made the sync's own thread its bottleneck."""
    now = timezone.now()
    lease = now + datetime.timedelta(
        seconds=settings.BEARMAN_POWER_OPERATION_SECONDS + LEASE_MARGIN
    )
    rows = BmcHealth.objects.filter(pk__in=ids.values())
    rows.filter(Q(next_command_at=None) | Q(next_command_at__lte=now)).filter(
        Q(retry_at=None) | Q(retry_at__lte=now)
    ).update(next_command_at=lease)
    by_id = {health.pk: health for health in rows}
    return {bmc: _why_not(bmc, by_id[pk], now, lease) for bmc, pk in ids.items()}


def _why_not(bmc: Bmc, health: BmcHealth, now, lease) -> BearmanError | None:
    if health.next_command_at == lease:  # the very lease just written: ours
        return None
    try:
        wait = _wait_or_refuse(bmc, now, probe_open=False, health=health)
    except BmcBreakerOpen as refused:
        return refused
    running = wait > settings.BEARMAN_BMC_MIN_COMMAND_INTERVAL_SECONDS
    return BmcBusy(bmc, None if running else wait)


def bmcs_free_answered(*, ids: list[int]) -> None:
    """Free, one interval from now, the slots of BMCs that all answered (one UPDATE)."""
    free_at = timezone.now() + datetime.timedelta(
        seconds=settings.BEARMAN_BMC_MIN_COMMAND_INTERVAL_SECONDS
    )
    if ids:
        BmcHealth.objects.filter(pk__in=ids).update(next_command_at=free_at, **CLOSED)


@contextmanager
def bmc_command(bmc: Bmc | None, *, probe_open: bool):
    """Hold `bmc`'s command slot for one command; yields a Verdict for the caller to set.

    BmcBusy: not free within SLEEP_MAX. BmcBreakerOpen: the breaker is open and the
    caller may not probe it (`probe_open`).
    """
    verdict = Verdict()
    if bmc is None:
        yield verdict
        return
    bmc_take(bmc, probe_open=probe_open, sleep_max=SLEEP_MAX)
    try:
        yield verdict
    finally:
        bmc_free(bmc, verdict)


def bmc_take(bmc: Bmc, *, probe_open: bool, sleep_max: float) -> None:
    """Take the BMC's command slot, sleeping up to `sleep_max` for it; free it with
    `bmc_free`. BmcBusy, BmcBreakerOpen: see `bmc_command`."""
    give_up = time.monotonic() + sleep_max
    while True:
        now = timezone.now()
        rows = BmcHealth.objects.filter(address=bmc.address, port=bmc.port).filter(
            Q(next_command_at=None) | Q(next_command_at__lte=now)
        )
        if not probe_open:
            rows = rows.filter(Q(retry_at=None) | Q(retry_at__lte=now))
        lease = settings.BEARMAN_POWER_OPERATION_SECONDS + LEASE_MARGIN
        if rows.update(next_command_at=now + datetime.timedelta(seconds=lease)):
            return
        wait = _wait_or_refuse(bmc, now, probe_open=probe_open)
        running = wait > settings.BEARMAN_BMC_MIN_COMMAND_INTERVAL_SECONDS
        nap = POLL_SECONDS if running else wait
        if time.monotonic() + nap > give_up:
            raise BmcBusy(bmc, None if running else wait)
        time.sleep(nap)


def _wait_or_refuse(bmc: Bmc, now: datetime.datetime, *, probe_open: bool, health=None) -> float:
    """Seconds until the slot frees; BmcBreakerOpen when the breaker keeps the caller out."""
    health = health or BmcHealth.objects.filter(address=bmc.address, port=bmc.port).first()
    if health is None:
        bmcs_register(bmcs=[bmc])
        return 0.0
    if not probe_open and health.retry_at and health.retry_at > now:
        raise BmcBreakerOpen(bmc_breaker_message(health))
    if health.next_command_at is None:
        return 0.0
    return max((health.next_command_at - now).total_seconds(), 0.0)


def bmc_free(bmc: Bmc, verdict: Verdict) -> None:
    """The slot `bmc_take` took is free again one interval from now; the verdict (what
    the command told of the BMC) moves the breaker."""
    now = timezone.now()
    free_at = now + datetime.timedelta(seconds=settings.BEARMAN_BMC_MIN_COMMAND_INTERVAL_SECONDS)
    rows = BmcHealth.objects.filter(address=bmc.address, port=bmc.port)
    try:
        if verdict.answered:  # alive, whatever else failed
            rows.update(next_command_at=free_at, **CLOSED)
        elif verdict.error is not None:
            _count_failure(bmc, verdict.error, now=now, free_at=free_at)
        else:  # no command went out, or no word from the BMC: nothing to hold against it
            rows.update(next_command_at=free_at)
    except (OperationalError, InterfaceError) as error:
        log.warning("BMC %s: its slot was not freed (%s); its lease ends it", bmc.where, error)


def _count_failure(bmc: Bmc, error: BmcError, *, now, free_at) -> None:
    with transaction.atomic():
        health = BmcHealth.objects.select_for_update().get(address=bmc.address, port=bmc.port)
        health.failures += 1
        health.failing_since = health.failing_since or now
        health.last_error = str(error)[:500]
        health.next_command_at = free_at
        limit = settings.BEARMAN_BMC_BREAKER_FAILURES
        if health.failures >= limit:
            backoff = settings.BEARMAN_BMC_BREAKER_BACKOFF_SECONDS * 2 ** (health.failures - limit)
            backoff = min(backoff, settings.BEARMAN_BMC_BREAKER_MAX_SECONDS)
            health.retry_at = now + datetime.timedelta(seconds=backoff)
            log.warning("%s; left alone for %d s", bmc_breaker_message(health), backoff)
        health.save()


def bmc_breaker_state(health: BmcHealth | None, *, now: datetime.datetime | None = None) -> str:
    """Closed, open, or half-open (its next try is due) for a BMC's health row."""
    if health is None or health.retry_at is None:
        return BreakerState.CLOSED
    if health.retry_at > (now or timezone.now()):
        return BreakerState.OPEN
    return BreakerState.HALF_OPEN


def bmc_breaker_message(health: BmcHealth) -> str:
    """The plain words for an open breaker: how often, until when, and the last error."""
    where = Bmc(health.address, health.port).where
    after = timezone.localtime(health.retry_at).strftime("%H:%M:%S") if health.retry_at else "-"
    return (
        f"BMC {where} failed {health.failures} times in a row; next try after {after}"
        f" — last error: {health.last_error}"
    )


@dataclass(frozen=True)
class BreakerReport:
    """A BMC's breaker as people see it (the node page, the API)."""

    state: str  # a BreakerState
    failures: int  # in a row
    since: datetime.datetime | None  # the first of those failures
    next_try: datetime.datetime | None  # while open: when it is tried again
    last_error: str

    @property
    def message(self) -> str:
        """One line: the state, and while failing how often, since and until when."""
        label = BreakerState(self.state).label
        if not self.failures:
            return f"{label}: answering"
        since = timezone.localtime(self.since).strftime("%Y-%m-%d %H:%M:%S")
        text = f"{label}: failed {self.failures} times in a row since {since}"
        if self.next_try:
            text += f"; next try after {timezone.localtime(self.next_try).strftime('%H:%M:%S')}"
        return f"{text} — last error: {self.last_error}"


def bmc_breaker_of(node: Node) -> BreakerReport | None:
    """The breaker of the node's BMC; None before any command was sent to it."""
    if not node.bmc_address:
        return None
    health = BmcHealth.objects.filter(address=node.bmc_address, port=node.bmc_port).first()
    if health is None:
        return None
    return BreakerReport(
        state=bmc_breaker_state(health),
        failures=health.failures,
        since=health.failing_since,
        next_try=health.retry_at,
        last_error=health.last_error,
    )
