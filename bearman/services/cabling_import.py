"""Importing the cabling plan from CSV: checked whole, then written whole or not at all.

The file has a header naming its columns, one of
    serial,nic,switch,port
    rack_position,nic,switch,port
(in any order, no other column) and one cable per line. A row is upserted by how it names
the node and its NIC: a new (node, NIC) is created, a known one gets the new switch and port,
and rows the file does not mention are left alone. Every row is checked before anything is
written; one bad row refuses the file, with the line number of each problem.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from bearman.errors import BearmanError
from bearman.models import CablingLink, Node
from bearman.models.cabling import NIC_MAX, PORT_MAX, SERIAL_MAX, SWITCH_MAX
from bearman.validators import (
    CONTROL_CHARACTERS,
    RACK_POSITION_MAX,
    validate_interface_name,
    validate_rack_position,
)

NODE_COLUMNS = ("serial", "rack_position")
LINK_COLUMNS = ("nic", "switch", "port")
MAX_LENGTH = {
    "serial": SERIAL_MAX,
    "rack_position": RACK_POSITION_MAX,
    "nic": NIC_MAX,
    "switch": SWITCH_MAX,
    "port": PORT_MAX,
}
# A data centre's plan in one file, far below the request body limit (2.5 MB).
MAX_PLAN_BYTES = 2 * 1024 * 1024
MAX_PLAN_ROWS = 10_000
# Past this many problems the file is plainly not a plan: say so instead of listing them all.
MAX_PROBLEMS = 50
# Rows per statement: 4 parameters each, far within SQLite's 32,766.
BATCH_SIZE = 500


# How a plan row names its node: (serial, "") or ("", rack_position).
NodeName = tuple[str, str]


class CablingPlanInvalid(BearmanError):
    """The file has bad rows (or is no plan at all): nothing was written."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        super().__init__("; ".join(f"line {line}: {text}" for line, text in problems))


class CablingPlanConflict(BearmanError):
    """The plan changed in the database while the file was being written: nothing was."""


@dataclass(frozen=True)
class PlanRow:
    """One cable as the file states it, with the line it starts on."""

    line: int
    serial: str
    rack_position: str
    nic: str
    switch: str
    port: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.serial, self.rack_position, self.nic)

    @property
    def node_label(self) -> str:
        return self.serial or self.rack_position


@dataclass(frozen=True)
class PlanChange(PlanRow):
    """What importing one row does; old_switch and old_port only for a changed row."""

    old_switch: str = ""
    old_port: str = ""


@dataclass
class PlanImport:
    """What an import did, or with dry_run would do: each row created, changed or unchanged."""

    dry_run: bool
    created: list[PlanChange] = field(default_factory=list)
    changed: list[PlanChange] = field(default_factory=list)
    unchanged: list[PlanChange] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
        }


def cabling_plan_import(*, data: bytes, dry_run: bool) -> PlanImport:
    """Upsert the plan's rows from a CSV file (UTF-8, BOM and CRLF welcome), all or nothing."""
    rows, problems = parse_plan(data)
    aliases = node_aliases(
        serials={row.serial for row in rows}, positions={row.rack_position for row in rows}
    )
    existing = _existing_rows(rows, aliases)
    problems += _plan_problems(rows, existing) + _named_twice(rows, existing, aliases)
    if problems:
        raise CablingPlanInvalid(sorted(problems))
    result = _compare(rows, existing, dry_run=dry_run)
    if not dry_run:
        _write(result, existing)
    return result


def parse_plan(data: bytes) -> tuple[list[PlanRow], list[tuple[int, str]]]:
    """The file's good rows, and the bad lines' problems; no header or no CSV: refused."""
    if len(data) > MAX_PLAN_BYTES:
        raise CablingPlanInvalid([(1, f"the file is larger than {MAX_PLAN_BYTES} bytes")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        line = data[: problem.start].count(b"\n") + 1
        raise CablingPlanInvalid([(line, "not UTF-8 text")]) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[tuple[int, str]] = []
    try:
        columns = _read_header(reader)
        rows = _read_rows(reader, columns, problems)
    except csv.Error as problem:
        raise CablingPlanInvalid([*problems, (reader.line_num, f"not CSV: {problem}")]) from None
    return rows, problems


def _read_header(reader) -> list[str]:
    """The header's column names: one way of naming the node, then nic, switch and port."""
    header = next(reader, None)
    columns = [name.strip() for name in header or []]
    node_columns = [name for name in columns if name in NODE_COLUMNS]
    if len(node_columns) != 1 or sorted(columns) != sorted([*node_columns, *LINK_COLUMNS]):
        raise CablingPlanInvalid(
            [
                (
                    1,
                    "the header must name the columns serial,nic,switch,port or "
                    f"rack_position,nic,switch,port (found: {ascii(','.join(columns)[:200])})",
                )
            ]
        )
    return columns


def _read_rows(reader, columns: list[str], problems: list[tuple[int, str]]) -> list[PlanRow]:
    """Every data row; the bad ones go to `problems` with their line numbers."""
    rows = []
    line = reader.line_num + 1
    for record in reader:
        if any(cell.strip() for cell in record):  # blank lines are no rows
            if len(rows) >= MAX_PLAN_ROWS:
                problems.append((line, f"more than {MAX_PLAN_ROWS} rows: split the file"))
                break
            row = _row(line, record, columns, problems)
            if row is not None:
                rows.append(row)
            if len(problems) >= MAX_PROBLEMS:
                problems.append((line, "too many problems: stopped reading here"))
                break
        line = reader.line_num + 1
    return rows


def _row(line, record, columns, problems) -> PlanRow | None:
    """One row, or None after noting what is wrong with it."""
    if len(record) != len(columns):
        problems.append((line, f"{len(record)} fields, the header has {len(columns)}"))
        return None
    cells = dict(zip(columns, (cell.strip() for cell in record), strict=True))
    found = [text for name, value in cells.items() if (text := _cell_problem(name, value))]
    if found:
        problems.extend((line, text) for text in found)
        return None
    return PlanRow(
        line=line,
        serial=cells.get("serial", ""),
        rack_position=cells.get("rack_position", ""),
        nic=cells["nic"],
        switch=cells["switch"],
        port=cells["port"],
    )


def _cell_problem(name: str, value: str) -> str:
    """What is wrong with one cell, "" when nothing is."""
    if not value:
        return f"{name} is empty"
    if CONTROL_CHARACTERS.search(value):
        return f"{name} must be one line of text (no line breaks, tabs or control characters)"
    if len(value) > MAX_LENGTH[name]:
        return f"{name} is longer than {MAX_LENGTH[name]} characters"
    checks = {"nic": validate_interface_name, "rack_position": validate_rack_position}
    try:
        checks.get(name, str)(value)
    except ValidationError as problem:
        return f"{name}: {' '.join(problem.messages)}"
    return ""


def node_aliases(*, serials: set[str], positions: set[str]) -> dict[NodeName, NodeName]:
    """For registered nodes with both a serial and a rack position, each name → the other.

    Names are (serial, rack_position) pairs with one of them empty, as plan rows name nodes.
    """
    named = Q(serial__in=serials - {""}) | Q(rack_position__in=positions - {""})
    nodes = Node.objects.filter(named).exclude(serial="").exclude(rack_position="")
    aliases = {}
    for serial, position in nodes.values_list("serial", "rack_position"):
        aliases[(serial, "")] = ("", position)
        aliases[("", position)] = (serial, "")
    return aliases


def _existing_rows(rows: list[PlanRow], aliases: dict[NodeName, NodeName]) -> list[CablingLink]:
    """In one query, the plan's rows for the file's nodes (by either name) and switches."""
    names = {(row.serial, row.rack_position) for row in rows} | set(aliases.values())
    serials = {serial for serial, _ in names if serial}
    positions = {position for _, position in names if position}
    switches = {row.switch for row in rows}
    wanted = Q(serial__in=serials) | Q(rack_position__in=positions) | Q(switch__in=switches)
    return list(CablingLink.objects.filter(wanted)) if rows else []


def _plan_problems(rows: list[PlanRow], existing: list[CablingLink]) -> list[tuple[int, str]]:
    """Each (node, NIC) and each switch port once in the plan as it would be after the import."""
    problems = []
    first_line_of_key: dict[tuple[str, str, str], int] = {}
    for row in rows:
        earlier = first_line_of_key.setdefault(row.key, row.line)
        if earlier != row.line:
            problems.append((row.line, f"{row.node_label} {row.nic} is already on line {earlier}"))
    # Who holds each switch port afterwards: the file's rows, and the rows it leaves alone.
    holder = {(link.switch, link.port): link for link in existing}
    moved = {row.key for row in rows}
    first_line_of_port: dict[tuple[str, str], int] = {}
    for row in rows:
        port = (row.switch, row.port)
        earlier = first_line_of_port.setdefault(port, row.line)
        other = holder.get(port)
        if earlier != row.line:
            problems.append((row.line, f"{_port(row)} is already on line {earlier}"))
        elif other is not None and _key(other) != row.key and _key(other) not in moved:
            problems.append(
                (row.line, f"{_port(row)} is already cabled to {other.node_label} {other.nic}")
            )
    return problems


def _named_twice(
    rows: list[PlanRow], existing: list[CablingLink], aliases: dict[NodeName, NodeName]
) -> list[tuple[int, str]]:
    """A NIC already planned under the node's other name (its serial or its position)."""
    planned = {_key(link) for link in existing}
    problems = []
    for row in rows:
        alias = aliases.get((row.serial, row.rack_position))
        if alias and (*alias, row.nic) in planned:
            problems.append((row.line, _named_twice_message(row.node_label, alias, row.nic)))
    return problems


def _named_twice_message(label: str, alias: NodeName, nic: str) -> str:
    other = alias[0] or alias[1]
    return (
        f"{label} {nic} is already planned under {other}, the same node: change or delete "
        "that row instead"
    )


def _port(row: PlanRow) -> str:
    return f"switch {row.switch} port {row.port}"


def _key(link: CablingLink) -> tuple[str, str, str]:
    return (link.serial, link.rack_position, link.nic)


def _compare(rows: list[PlanRow], existing: list[CablingLink], *, dry_run: bool) -> PlanImport:
    """Sort the file's rows into created, changed (with the old values) and unchanged."""
    by_key = {_key(link): link for link in existing}
    result = PlanImport(dry_run=dry_run)
    for row in rows:
        change = PlanChange(**vars(row))
        link = by_key.get(row.key)
        if link is None:
            result.created.append(change)
        elif (link.switch, link.port) == (row.switch, row.port):
            result.unchanged.append(change)
        else:
            result.changed.append(replace(change, old_switch=link.switch, old_port=link.port))
    return result


def _write(result: PlanImport, existing: list[CablingLink]) -> None:
    """Apply the changes in one transaction with a few bulk statements.

    Not bulk_create(update_conflicts=True): PostgreSQL's ON CONFLICT cannot name the partial
    unique indexes on (serial, nic) and (rack_position, nic), and the one SELECT before has
    told the new rows from the changed ones already.
    """
    by_key = {_key(link): link for link in existing}
    changed = [(by_key[c.key].pk, c.switch, c.port) for c in result.changed]
    try:
        with transaction.atomic():
            if changed:
                _park([pk for pk, _, _ in changed])
                _move(changed, timezone.now())
            CablingLink.objects.bulk_create(
                [_new_link(change) for change in result.created], batch_size=BATCH_SIZE
            )
    except IntegrityError:
        raise CablingPlanConflict(
            "The cabling plan changed while this file was being imported; nothing was "
            "written. Import the file again."
        ) from None


def _park(pks: list[int]) -> None:
    """Move the changed rows off their switch ports first, so two rows can swap ports.

    A unique constraint is checked row by row within a statement (SQLite, and PostgreSQL
    for a constraint that is not deferrable), so a swap written in one step would collide.
    A line break cannot be in an imported port: the parked values collide with nothing.
    """
    parked = Concat(Value("\n"), Cast("pk", output_field=CharField()))
    for start in range(0, len(pks), BATCH_SIZE):
        CablingLink.objects.filter(pk__in=pks[start : start + BATCH_SIZE]).update(port=parked)


def _move(changed: list[tuple[int, str, str]], now) -> None:
    """Each (pk, switch, port): UPDATE … SET switch = CASE id WHEN … END, one per batch.

    bulk_update() sends the same statement but builds it from one expression per row and
    field, a millisecond of Python each: 1,000 changed rows took over a second of it.
    """
    quote = connection.ops.quote_name
    table, pk = quote(CablingLink._meta.db_table), quote("id")
    stamp = connection.ops.adapt_datetimefield_value(now)
    for start in range(0, len(changed), BATCH_SIZE):
        batch = changed[start : start + BATCH_SIZE]
        cases = " ".join(["WHEN %s THEN %s"] * len(batch))
        ids = ", ".join(["%s"] * len(batch))
        sql = (
            f"UPDATE {table} SET {quote('switch')} = CASE {pk} {cases} END, "
            f"{quote('port')} = CASE {pk} {cases} END, {quote('updated_at')} = %s "
            f"WHERE {pk} IN ({ids})"
        )
        params = [
            *(value for link_pk, switch, _ in batch for value in (link_pk, switch)),
            *(value for link_pk, _, port in batch for value in (link_pk, port)),
            stamp,
            *(link_pk for link_pk, _, _ in batch),
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _new_link(change: PlanChange) -> CablingLink:
    return CablingLink(
        serial=change.serial,
        rack_position=change.rack_position,
        nic=change.nic,
        switch=change.switch,
        port=change.port,
    )


def named_twice_problem(link: CablingLink) -> str:
    """Why one cable cannot be saved: its NIC is planned under the node's other name ("")."""
    aliases = node_aliases(serials={link.serial}, positions={link.rack_position})
    alias = aliases.get((link.serial, link.rack_position))
    if alias is None:
        return ""
    serial, position = alias
    twin = CablingLink.objects.filter(serial=serial, rack_position=position, nic=link.nic)
    if not twin.exclude(pk=link.pk).exists():
        return ""
    return _named_twice_message(link.node_label, alias, link.nic)
