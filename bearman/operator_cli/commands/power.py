"""bearman node power ACTION UUID…, and bearman power list|show: operations through workers."""

import time

from bearman.operator_cli.errors import OperationFailed, UsageError
from bearman.operator_cli.output import emit, progress

BULK = "/api/v1/power-operations/bulk/"
OPERATIONS = "/api/v1/power-operations/"
ACTIONS = ["on", "off", "soft_off", "reset", "cycle", "status", "boot_network", "boot_disk"]
FILTER_KEYS = ["status", "availability_zone", "flavor", "vendor", "power_state", "bmc_driver"]
LISTED_FILTERS = {"status"}  # the API takes a list for these
COLUMNS = [
    ("ID", "id"),
    ("NODE", "node"),
    ("ACTION", "action"),
    ("STATE", "state"),
    ("BY", "requested_by"),
    ("OUTCOME", lambda op: op.get("waiting") or op["error"] or op["result"]),
]
DRY_RUN_COLUMNS = [
    ("UUID", "uuid"),
    ("STATUS", "status"),
    ("POWER", "power_state"),
    ("DRIVER", "bmc_driver"),
    ("BMC", "bmc_address"),
]


def add_node_command(node_verbs, common) -> None:
    """`bearman node power …`."""
    power = node_verbs.add_parser(
        "power",
        parents=[common],
        help="power nodes on, off, …; waits and shows progress",
        description="Queue a power action for the nodes given by UUID or by --where filters, "
        "in batches of --batch-size, stopping once more than --max-failure-percent of the "
        "finished ones failed; then wait for them, showing progress on stderr.",
    )
    power.add_argument("action", choices=ACTIONS)
    power.add_argument("uuids", nargs="*", metavar="UUID", help="system UUIDs")
    power.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"select nodes instead of UUIDs; keys: {', '.join(FILTER_KEYS)}; repeatable",
    )
    power.add_argument("--dry-run", action="store_true", help="only list the nodes it would touch")
    power.add_argument("--no-wait", action="store_true", help="queue and return at once")
    power.add_argument("--batch-size", type=int, help="nodes queued at a time (server default)")
    power.add_argument("--max-failure-percent", type=int, help="0-100 (server default)")
    power.add_argument(
        "--wait", type=float, default=900, metavar="SECONDS", help="give up waiting after this"
    )
    power.set_defaults(run=run_power)


def add_commands(commands, common) -> None:
    """`bearman power list|show`."""
    operations = commands.add_parser("power", help="power operations: list, show")
    verbs = operations.add_subparsers(dest="verb", metavar="VERB", required=True)
    listing = verbs.add_parser("list", parents=[common], help="power operations, newest first")
    listing.add_argument("--node", help="a node's system UUID")
    listing.add_argument("--state", action="append", help="pending, running, succeeded, failed")
    listing.add_argument("--action", action="append", choices=ACTIONS)
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.set_defaults(run=run_list)
    show = verbs.add_parser("show", parents=[common], help="one power operation")
    show.add_argument("id", type=int)
    show.set_defaults(run=run_show)


def run_power(args, api) -> None:
    body = {"action": args.action, "dry_run": args.dry_run, **_selection(args)}
    if args.batch_size is not None:
        body["batch_size"] = args.batch_size
    if args.max_failure_percent is not None:
        body["max_failure_percent"] = args.max_failure_percent
    answer = api.post(BULK, body)
    if args.dry_run:
        emit(answer if args.json else answer["nodes"], as_json=args.json, columns=DRY_RUN_COLUMNS)
        return
    bulk = answer if args.no_wait else _wait(api, answer, args.action, args.wait)
    operations = list(api.each(OPERATIONS, {"bulk": bulk["id"]}))
    emit(
        {**bulk, "operation_details": operations} if args.json else operations,
        as_json=args.json,
        columns=COLUMNS,
    )
    if not args.no_wait:
        _judge(bulk)


def run_list(args, api) -> None:
    params = {"node": args.node, "state": args.state, "action": args.action}
    emit(list(api.each(OPERATIONS, params, args.limit)), as_json=args.json, columns=COLUMNS)


def run_show(args, api) -> None:
    emit(api.get(f"{OPERATIONS}{args.id}/"), as_json=args.json)


def _selection(args) -> dict:
    if bool(args.uuids) == bool(args.where):
        raise UsageError("give node UUIDs or --where filters (one of the two)")
    if args.uuids:
        return {"nodes": args.uuids}
    criteria = {}
    for item in args.where:
        key, sep, value = item.partition("=")
        if not sep or key not in FILTER_KEYS:
            raise UsageError(f"--where {item!r}: expected KEY=VALUE with KEY one of {FILTER_KEYS}")
        if key in LISTED_FILTERS:
            criteria.setdefault(key, []).append(value)
        else:
            criteria[key] = value
    return {"filter": criteria}


def _wait(api, bulk: dict, action: str, seconds: float) -> dict:
    """Poll the bulk request until it ends, printing its progress whenever it moves."""
    deadline = time.monotonic() + seconds
    last = None
    while True:
        line = _progress_line(action, bulk)
        if line != last:
            progress(line)
            last = line
        if bulk["state"] != "running":
            return bulk
        if time.monotonic() > deadline:
            raise OperationFailed(f"gave up waiting after {seconds:g} s; {line}")
        time.sleep(1)
        bulk = api.get(f"{BULK}{bulk['id']}/")


def _progress_line(action: str, bulk: dict) -> str:
    p = bulk["progress"]
    finished = p["succeeded"] + p["failed"]
    return (
        f"power {action}: {finished}/{p['total']} finished ({p['succeeded']} succeeded, "
        f"{p['failed']} failed), {p['in_flight']} in flight, {p['not_queued']} waiting"
    )


def _judge(bulk: dict) -> None:
    if bulk["state"] == "stopped":
        raise OperationFailed(f"stopped: {bulk['stopped_reason']}")
    failed = bulk["progress"]["failed"]
    if failed:
        reasons = "; ".join(f"{r['node']}: {r['error']}" for r in bulk["refused"])
        raise OperationFailed(
            f"{failed} of {bulk['progress']['total']} failed" + (f" ({reasons})" if reasons else "")
        )
