"""Faults injected into a whole running Bearman under load (issue: keeps working when its
parts fail). Each fault fills one row of the table printed at the end of the run."""

import contextlib
import math
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from .drill import check, drive, settle
from .ledger import query
from .load import Clients
from .stack import CLOCKS, WORKER_CONCURRENCY, wait_until
from .webhook import LARGE_BODY

pytestmark = pytest.mark.faults

DB_OUTAGE = 30  # seconds PostgreSQL is stopped
WEBHOOK_OUTAGE = 20  # seconds the webhook answers 503 (real time: see test_e)
OPERATION_SECONDS = int(CLOCKS["BEARMAN_POWER_OPERATION_SECONDS"])
# A worker killed mid-operation: the operation's deadline (its time limit and the
# reaper's margin, bearman.services.power.run.REAP_MARGIN), a reaper tick, and slack.
WORKER_LOSS_BOUND = OPERATION_SECONDS + 15 + 2 * int(CLOCKS["BEARMAN_POWER_REAP_SECONDS"]) + 10


@pytest.fixture
def clients(bearman, fresh_nodes):
    made = []

    def make(count: int) -> list[Clients]:
        made.extend(Clients(bearman, fresh_nodes) for _ in range(count))
        return made[-count:]

    yield make
    for client in made:
        client.close()


def test_a_web_worker_killed(bearman, clients, fault_row):
    web, killed, killed_at = bearman.processes["web"], [], []

    def inject() -> float:
        killed.append(web.children()[0])
        killed_at.append(time.time())
        os.kill(killed[0], signal.SIGKILL)
        return time.time()

    def ready() -> bool:  # the master lives and has its two workers again
        children = web.children()
        return web.alive and len(children) == 2 and killed[0] not in children

    course = drive(
        bearman, clients(3), ["api", "power", "api"], inject=inject, bound=20, ready=ready
    )
    settle(fault_row, bearman, course, bound=20)
    fault_row.note = "SIGKILL 1 of 2 gunicorn workers; unclear: its request in flight"
    # Nothing answers for a process killed outright (gunicorn's graceful stop is for
    # SIGTERM): the request it was serving ends without an answer. That one alone: the
    # client's connection was open when the worker died, and if it was a power request
    # the ledger followed what it did (unanswered_power: ended once, or never taken).
    unanswered = [answer for answer in course.answers if answer.outcome == "unclear"]
    assert all(a.started <= killed_at[0] <= a.ended for a in unanswered), [
        (a.kind, a.started - killed_at[0], a.ended - killed_at[0], a.detail) for a in unanswered
    ]
    check(fault_row, unclear_at_most=1)


def test_b_database_stopped(bearman, clients, fault_row):
    def inject() -> float:
        bearman.postgres.stop()
        time.sleep(DB_OUTAGE)
        bearman.postgres.start()
        return time.time()

    # One registration in twelve calls: each registered node's BMC check waits 5 s on an
    # address where no BMC answers, and the worker serves those beside operators' power.
    calls = ["power", "api", "register", "power", "api", "power"] + ["api", "power"] * 3
    course = drive(bearman, clients(3), calls, inject=inject, bound=60, before=5)
    settle(fault_row, bearman, course, bound=60)
    fault_row.note = f"PostgreSQL stopped {DB_OUTAGE} s under power, Register and API load"
    check(fault_row)


def test_c_broker_restarted(bearman, clients, fault_row):
    worker, queued = bearman.processes["worker"], []
    burst = clients(1)[0]

    def inject() -> float:
        # The worker stands still, so that the operations wait in Redis when it restarts.
        os.killpg(worker.popen.pid, signal.SIGSTOP)
        try:
            queued.extend(burst.power() for _ in range(40))
            bearman.redis.stop()
            time.sleep(2)
            bearman.redis.start()
        finally:
            os.killpg(worker.popen.pid, signal.SIGCONT)
        return time.time()

    course = drive(bearman, clients(2), ["power", "api"], inject=inject, bound=45)
    course.answers.extend(queued)
    settle(fault_row, bearman, course, bound=45)
    waiting = sum(answer.outcome == "accepted" for answer in queued)
    fault_row.note = (
        f"Redis restarted (2 s down) with {waiting} operations queued (worker SIGSTOPped meanwhile)"
    )
    check(fault_row)


def test_d_worker_killed_mid_operation(bearman, clients, fault_row):
    worker, killed, slow = bearman.processes["worker"], [], []
    operator = clients(1)[0]
    node = bearman.seed["slow_node"]

    def inject() -> float:
        answer = operator.power_node(node)
        slow.append(answer)
        assert answer.outcome == "accepted", answer.detail
        wait_until(lambda: _state(bearman, int(answer.ref)) == "running", 20,
                   "the slow BMC's operation did not start")  # fmt: skip
        time.sleep(1)  # the worker is inside the driver, waiting for the BMC
        killed.extend(worker.children())
        for pid in killed:  # every pool process: the one on the slow BMC among them
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return time.time()

    def ready() -> bool:  # Celery's main process replaced its pool processes
        children = worker.children()
        return (
            worker.alive and len(children) == WORKER_CONCURRENCY and not set(children) & set(killed)
        )

    course = drive(bearman, clients(2), ["power", "api"], inject=inject,
                   bound=WORKER_LOSS_BOUND, ready=ready)  # fmt: skip
    course.answers.extend(slow)
    settle(fault_row, bearman, course, bound=WORKER_LOSS_BOUND)
    state, error = query(
        bearman.postgres, "SELECT state, error FROM bearman_poweroperation WHERE id = %s",
        (int(slow[0].ref),),
    )[0]  # fmt: skip
    fault_row.note = f"SIGKILL the pool mid-operation on a silent BMC; it ended {state}"
    check(fault_row)
    assert state == "failed" and error, "the interrupted operation must end with its reason"


def _state(bearman, operation_id: int) -> str:
    rows = query(bearman.postgres, "SELECT state FROM bearman_poweroperation WHERE id = %s",
                 (operation_id,))  # fmt: skip
    return rows[0][0] if rows else ""


def test_e_webhook_down(bearman, clients, webhook, fault_row):
    """10 minutes of webhook outage at 1/30 (CLOCKS): 20 s, backoff from 1 s up to 10 s."""
    agents = clients(2)
    for agent in agents:
        agent.notice_tag = "fault-e"
    started = []

    def inject() -> float:
        webhook.mode, webhook.most_in_flight = "down", 0
        started.append(time.time())
        time.sleep(WEBHOOK_OUTAGE)
        webhook.mode = "up"
        return time.time()

    try:
        course = drive(bearman, agents, ["notice", "api"], inject=inject, bound=40, pause=1.0)
    finally:
        webhook.mode = "up"
    settle(fault_row, bearman, course, bound=40, webhook=webhook)
    refused = [post for post in webhook.posts_since(started[0]) if post[2] == 503]
    allowed = 2 * backoff_attempts(WEBHOOK_OUTAGE) + 2
    fault_row.note = (
        f"webhook 503 for {WEBHOOK_OUTAGE} s (10 min at 1/30): {len(refused)} POSTs meanwhile "
        f"(at most {allowed}), at most {webhook.most_in_flight} at once"
    )
    check(fault_row)
    assert webhook.most_in_flight <= 1, "one notice flusher at a time"
    assert len(refused) <= allowed, "a webhook that is down is retried with backoff, no storm"


def backoff_attempts(outage: float) -> int:
    """Posts a flusher makes to a webhook that is down: doubling waits, each rounded up to
    the periodic flush (BEARMAN_OPERATIONS_CHECK_SECONDS)."""
    wait, most = (
        int(CLOCKS["BEARMAN_NOTIFY_RETRY_SECONDS"]),
        int(CLOCKS["BEARMAN_NOTIFY_RETRY_MAX_SECONDS"]),
    )
    tick = int(CLOCKS["BEARMAN_OPERATIONS_CHECK_SECONDS"])
    attempts, elapsed = 1, 0
    while elapsed + math.ceil(wait / tick) * tick <= outage:
        elapsed += math.ceil(wait / tick) * tick
        attempts, wait = attempts + 1, min(2 * wait, most)
    return attempts


def test_f_webhook_refuses_large_bodies(bearman, clients, webhook, fault_row):
    agents = clients(4)
    for agent in agents:
        agent.notice_tag, agent.notice_size = "fault-f", 4000
    burst, started = [], []

    def inject() -> float:
        webhook.mode = "413"
        started.append(time.time())
        with ThreadPoolExecutor(len(agents)) as pool:
            burst.extend(pool.map(lambda i: agents[i % len(agents)].notice(), range(40)))
        return time.time()

    try:
        course = drive(bearman, clients(1), ["api"], inject=inject, bound=40, before=1)
        course.answers.extend(burst)
        settle(fault_row, bearman, course, bound=40, webhook=webhook)
    finally:
        webhook.mode = "up"
    posts = webhook.posts_since(started[0])
    too_large = sum(status == 413 for _, _, status in posts)
    largest = max((size for _, size, status in posts if status == 200), default=0)
    fault_row.note = (
        f"413 above {LARGE_BODY // 1024} KiB: {too_large} refused, largest taken {largest} B"
    )
    check(fault_row)
