"""bearman cabling import PLAN.csv [--dry-run], and bearman cabling list: the cabling plan."""

import sys

from bearman.operator_cli.errors import UsageError
from bearman.operator_cli.output import emit, print_table

PLAN = "/api/v1/cabling/"
COLUMNS = [
    ("SERIAL", "serial"),
    ("RACK POSITION", "rack_position"),
    ("NIC", "nic"),
    ("SWITCH", "switch"),
    ("PORT", "port"),
]
CHANGE_COLUMNS = [
    ("CHANGE", "change"),
    ("LINE", "line"),
    ("NODE", lambda row: row["serial"] or row["rack_position"]),
    ("NIC", "nic"),
    ("SWITCH", "switch"),
    ("PORT", "port"),
]


def add_commands(commands, common) -> None:
    cabling = commands.add_parser("cabling", parents=[common], help="the cabling plan")
    verbs = cabling.add_subparsers(dest="verb", metavar="VERB", required=True)
    plan_import = verbs.add_parser(
        "import",
        parents=[common],
        help="upsert the plan from a CSV file",
        description="Send a CSV file (header serial,nic,switch,port or "
        "rack_position,nic,switch,port) to Bearman: each row creates or changes the cable of "
        "that node's NIC. One bad row refuses the whole file, naming its line; nothing is "
        "written then.",
    )
    plan_import.add_argument("file", help="the CSV file, or - for standard input")
    plan_import.add_argument(
        "--dry-run", action="store_true", help="show what would change, write nothing"
    )
    plan_import.add_argument(
        "--all", action="store_true", help="list the unchanged rows too, not only the changes"
    )
    plan_import.set_defaults(run=run_import)
    plan_list = verbs.add_parser("list", parents=[common], help="the planned cables")
    plan_list.add_argument("--node", metavar="UUID", help="only this node's cables")
    plan_list.add_argument("--switch", help="only the cables to this switch")
    plan_list.add_argument("--limit", type=int, help="at most this many")
    plan_list.set_defaults(run=run_list)


def run_import(args, api) -> None:
    data = _read(args.file)
    result = api.upload(
        PLAN + "import/", data, "text/csv", {"dry_run": "true" if args.dry_run else "false"}
    )
    if args.json:
        emit(result, as_json=True)
        return
    kinds = ["created", "changed", *(["unchanged"] if args.all else [])]
    rows = [_change_row(kind, row) for kind in kinds for row in result[kind]]
    if rows:
        print_table(sorted(rows, key=lambda row: row["line"]), CHANGE_COLUMNS)
    counts = result["counts"]
    summary = (
        f"{counts['created']} created, {counts['changed']} changed, {counts['unchanged']} unchanged"
    )
    print(f"dry run: {summary}; nothing written" if result["dry_run"] else f"imported: {summary}")


def run_list(args, api) -> None:
    found = api.each(PLAN, {"node": args.node, "switch": args.switch}, args.limit)
    emit(list(found), as_json=args.json, columns=COLUMNS)


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        with open(name, "rb") as plan:
            return plan.read()
    except OSError as error:
        raise UsageError(f"cannot read {name}: {error.strerror}") from None


def _change_row(kind: str, row: dict) -> dict:
    """A changed row shows its old switch and port beside the new ones."""
    if kind == "changed":
        switch = (
            row["switch"]
            if row["old_switch"] == row["switch"]
            else (f"{row['old_switch']} → {row['switch']}")
        )
        row = {**row, "switch": switch, "port": f"{row['old_port']} → {row['port']}"}
    return {**row, "change": kind}
