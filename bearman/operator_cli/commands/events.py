"""bearman events UUID: a node's history, newest first."""

from bearman.operator_cli.output import emit

COLUMNS = [
    ("WHEN", "created_at"),
    ("KIND", "kind"),
    ("WHO", "actor"),
    ("MESSAGE", "message"),
]


def add_commands(commands, common) -> None:
    events = commands.add_parser("events", parents=[common], help="a node's events, newest first")
    events.add_argument("uuid", help="the node's system UUID")
    events.add_argument("--kind", help="e.g. power, baremetal, failure")
    events.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    events.set_defaults(run=run_events)


def run_events(args, api) -> None:
    found = api.each(f"/api/v1/nodes/{args.uuid}/events/", {"kind": args.kind}, args.limit)
    emit(list(found), as_json=args.json, columns=COLUMNS)
