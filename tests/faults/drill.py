"""One fault's course: load before, the fault, load after until Bearman is itself again."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from .ledger import Row, account
from .load import Answer, Clients, Load
from .stack import Stack
from .webhook import Webhook

CALM = 4.0  # seconds of nothing but accepted answers that count as recovered


@dataclass
class Course:
    """What a drill saw: every answer, when the fault ended, when service came back."""

    answers: list[Answer]
    fault_end: float
    service_back: float | None


def drive(
    stack: Stack,
    clients: list[Clients],
    calls: list[str],
    *,
    inject: Callable[[], float],
    bound: float,
    before: float = 3.0,
    ready: Callable[[], bool] = lambda: True,
    pause: float = 0.05,
) -> Course:
    """Load, `inject` (returns when the fault ended), load until calm or `bound` s passed."""
    with Load(clients, calls, pause=pause) as load:
        time.sleep(before)
        fault_end = inject()
        service_back = _calm(load, fault_end, bound, ready)
    assert not load.errors, f"the load itself failed: {load.errors[0]!r}"
    return Course(load.answers, fault_end, service_back)


def _calm(load: Load, fault_end: float, bound: float, ready) -> float | None:
    """When the last refused answer after the fault ended, once calm has lasted; else None."""
    back_ready = None
    while time.time() < fault_end + bound:
        time.sleep(0.25)
        now = time.time()
        if back_ready is None and ready():
            back_ready = now
        if back_ready is None:
            continue
        refused = [
            a.ended for a in load.answers if a.outcome != "accepted" and a.ended >= fault_end
        ]
        last_refused = max(refused, default=fault_end)
        recent = [a for a in load.answers if a.started >= max(last_refused, back_ready)]
        calm_since = max(last_refused, back_ready)
        if now - calm_since >= CALM and recent:
            return calm_since
    return None


def settle(
    row: Row,
    stack: Stack,
    course: Course,
    *,
    bound: float,
    webhook: Webhook | None = None,
) -> Row:
    """Fill the row: what became of each request, and seconds to recover (None: never)."""
    work_done = account(
        row,
        course.answers,
        postgres=stack.postgres,
        webhook=webhook,
        work_until=course.fault_end + bound,
        fault_end=course.fault_end,
    )
    row.bound = bound
    # Recovered by itself: every process the suite started still runs (gunicorn and Celery
    # replace their own workers; nobody here starts a dead one again before the next fault).
    dead = sorted(name for name, process in stack.processes.items() if not process.alive)
    if dead:
        row.problems += (f"dead after the fault: {', '.join(dead)}",)
    if course.service_back is not None and not row.lost and not dead:
        back = max(course.service_back, work_done)
        if back <= course.fault_end + bound:
            row.recovery = max(0.0, back - course.fault_end)
    return row


def check(row: Row, *, unclear_at_most: int = 0) -> None:
    """The suite's promise: nothing lost, nothing twice, back by itself within the bound."""
    problems = "\n".join(row.problems[:10])
    assert row.lost == 0, f"{row.fault}: {row.lost} accepted requests lost\n{problems}"
    assert row.duplicated == 0, f"{row.fault}: {row.duplicated} done twice\n{problems}"
    assert row.unclear <= unclear_at_most, (
        f"{row.fault}: {row.unclear} answers were no clear error (at most {unclear_at_most})"
        f"\n{problems}"
    )
    assert row.recovery is not None, (
        f"{row.fault}: not recovered within {row.bound:g} s with no process restarted by hand"
        f"\n{problems}"
    )
