"""What became of every accepted request, read from the suite's own database and webhook.

The database row is the truth for power operations and registrations; the webhook's
count is the truth for notices.
"""

import contextlib
import time
from dataclasses import dataclass

from .load import Answer
from .stack import Postgres
from .webhook import Webhook

# The reaper's words for an operation no worker took: with a worker running all along,
# the message was dropped, and that reason blames the wrong part.
NOBODY_TOOK_IT = "is a Celery worker running?"
TERMINAL = ("succeeded", "failed")


@dataclass
class Row:
    """One fault's line in the table."""

    fault: str
    accepted: int = 0
    completed: int = 0
    failed_clear: int = 0
    unclear: int = 0
    lost: int = 0
    duplicated: int = 0
    recovery: float | None = None  # seconds; None: not recovered within the bound
    bound: float = 0
    note: str = ""
    problems: tuple[str, ...] = ()

    def cells(self) -> list[str]:
        recovery = "never" if self.recovery is None else f"{self.recovery:.1f}"
        return [
            self.fault, str(self.accepted), str(self.completed), str(self.failed_clear),
            str(self.unclear), str(self.lost), str(self.duplicated), recovery,
            f"{self.bound:g}", self.note,
        ]  # fmt: skip


HEADER = ["fault", "accepted", "completed", "failed clear", "unclear", "lost", "duplicated",
          "recovery s", "bound s", "note"]  # fmt: skip


def table(rows: list[Row]) -> str:
    lines = [HEADER, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER) - 1)]
    out = []
    for line in lines:
        out.append(
            "  ".join(c.rjust(w) for c, w in zip(line, widths, strict=False)) + "  " + line[-1]
        )
    return "\n".join(out)


def query(postgres: Postgres, sql: str, args=()) -> list[tuple]:
    with contextlib.closing(postgres.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute(sql, args)
        return cursor.fetchall()


def operations(postgres: Postgres, ids: list[int]) -> dict[int, tuple]:
    """id → (state, error, attempts, finished_at epoch, power events)."""
    rows = query(
        postgres,
        """
        SELECT o.id, o.state, o.error, o.attempts, extract(epoch FROM o.finished_at),
               (SELECT count(*) FROM bearman_event e
                WHERE e.kind = 'power' AND e.data->>'operation' = o.id::text)
        FROM bearman_poweroperation o WHERE o.id = ANY(%s)
        """,
        (ids,),
    )
    return {row[0]: row[1:] for row in rows}


def wait_for_operations(postgres: Postgres, ids: list[int], until: float) -> dict[int, tuple]:
    """Poll until every operation has ended, or `until` (epoch) has passed."""
    while True:
        with contextlib.suppress(Exception):  # the database may still be starting
            found = operations(postgres, ids)
            if all(found.get(i, ("pending",))[0] in TERMINAL for i in ids):
                return found
        if time.time() > until:
            return operations(postgres, ids)
        time.sleep(0.5)


def account(
    row: Row,
    answers: list[Answer],
    *,
    postgres: Postgres,
    webhook: Webhook | None,
    work_until: float,
    fault_end: float,
) -> float:
    """Fill `row` from the answers and the truth; returns when the last accepted work ended."""
    accepted = [a for a in answers if a.outcome == "accepted"]
    row.accepted = len(accepted)
    row.failed_clear = sum(a.outcome == "clear" for a in answers)
    row.unclear = sum(a.outcome == "unclear" for a in answers)
    unclear = sorted({a.detail for a in answers if a.outcome == "unclear"})
    if unclear:
        row.problems += (f"unclear answers: {unclear[:4]}",)
    done = [fault_end]
    done.append(_power(row, [a for a in accepted if a.kind == "power"], postgres, work_until))
    unanswered = [a for a in answers if a.outcome == "unclear" and a.kind == "power" and a.node]
    done.append(_unanswered_power(row, unanswered, postgres, work_until))
    done.append(_registrations(row, [a for a in accepted if a.kind == "register"], postgres))
    row.completed += sum(a.kind == "api" for a in accepted)
    if webhook is not None:
        done.append(_notices(row, [a for a in accepted if a.kind == "notice"], webhook, work_until))
    return max(done)


def _power(row: Row, accepted: list[Answer], postgres: Postgres, until: float) -> float:
    ids = [int(a.ref) for a in accepted]
    found = wait_for_operations(postgres, ids, until) if ids else {}
    last = 0.0
    for op_id in ids:
        state, error, attempts, finished, events = found.get(op_id, ("missing", "", 0, None, 0))
        if state == "succeeded":
            row.completed += 1
        elif state == "failed" and NOBODY_TOOK_IT not in error:
            row.failed_clear += 1
        else:
            row.lost += 1
            row.problems += (f"power operation #{op_id} {state}: {error[:100]}",)
        if events > 1:  # its outcome recorded twice: it ran twice
            row.duplicated += 1
            row.problems += (f"power operation #{op_id} ran {attempts} times, {events} events",)
        last = max(last, float(finished or 0))
    return last


def _unanswered_power(
    row: Row, unanswered: list[Answer], postgres: Postgres, until: float
) -> float:
    """A power request left without an answer (its web worker died) may have been taken:
    then its operation must end as an accepted one's does, once (its node is asked nothing
    else: load.Clients.power)."""
    if not unanswered:
        return 0.0
    rows = query(
        postgres,
        """
        SELECT n.uuid, o.id FROM bearman_poweroperation o
        JOIN bearman_node n ON n.id = o.node_id WHERE n.uuid = ANY(%s)
        """,
        ([a.node for a in unanswered],),
    )
    taken: dict[str, list[int]] = {}
    for uuid, op_id in rows:
        taken.setdefault(str(uuid), []).append(op_id)
    found = wait_for_operations(postgres, [i for ids in taken.values() for i in ids], until)
    last = 0.0
    for answer in unanswered:
        ids = taken.get(answer.node, [])
        if not ids:
            row.problems += (f"unanswered power request on {answer.node}: not taken",)
            continue
        for op_id in ids:
            state, error, _, finished, _ = found.get(op_id, ("missing", "", 0, None, 0))
            row.problems += (
                f"unanswered power request on {answer.node}: taken, operation #{op_id} {state}",
            )
            if state not in TERMINAL or NOBODY_TOOK_IT in (error or ""):
                row.lost += 1
            last = max(last, float(finished or 0))
        if len(ids) > 1 or any(found.get(i, (0, 0, 0, 0, 0))[4] > 1 for i in ids):
            row.duplicated += 1
    return last


def _registrations(row: Row, accepted: list[Answer], postgres: Postgres) -> float:
    uuids = [a.ref for a in accepted]
    if not uuids:
        return 0.0
    rows = query(
        postgres,
        """
        SELECT n.uuid, n.bmc_address,
               (SELECT count(*) FROM bearman_event e WHERE e.node_id = n.id
                AND e.kind = 'registered')
        FROM bearman_node n WHERE n.uuid = ANY(%s)
        """,
        (uuids,),
    )
    found = {uuid: (address, events) for uuid, address, events in rows}
    for uuid in uuids:
        address, events = found.get(uuid, (None, 0))
        if address:
            row.completed += 1
        else:
            row.lost += 1
            row.problems += (f"registration of {uuid} answered OK but no BMC address",)
        if events > 1:
            row.duplicated += 1
    shared = query(
        postgres,
        "SELECT bmc_address, count(*) FROM bearman_node WHERE bmc_address IS NOT NULL "
        "GROUP BY bmc_address HAVING count(*) > 1",
    )
    if shared:
        row.duplicated += len(shared)
        row.problems += (f"BMC addresses handed out twice: {shared[:3]}",)
    return max(a.ended for a in accepted)


def _notices(row: Row, accepted: list[Answer], webhook: Webhook, until: float) -> float:
    messages = [a.ref for a in accepted]
    while time.time() < until and any(webhook.delivered[m] == 0 for m in messages):
        time.sleep(0.5)
    for message in messages:
        times = webhook.delivered[message]
        row.completed += times > 0
        row.lost += times == 0
        row.duplicated += times > 1
    if row.lost:
        row.problems += (f"{row.lost} notices never reached the webhook",)
    return max((webhook.taken_at.get(m, 0.0) for m in messages), default=0.0)
