"""bearman node conformance|waive: a node's verdicts against its flavor and cabling plan."""

from bearman.operator_cli.output import emit, print_table, terminal_safe

DIFFERENCE_COLUMNS = [
    ("KIND", "kind"),
    ("COMPONENT", "component"),
    ("EXPECTED", "expected"),
    ("FOUND", "found"),
    ("WAIVED", "waived"),
]
HISTORY_COLUMNS = [
    ("CHECKED AT", "checked_at"),
    ("TRIGGER", "trigger"),
    ("BY", "actor"),
    ("FLAVOR", "flavor"),
    ("RESULT", lambda v: "passed" if v["passed"] else "failed"),
    ("HELD", "held"),
    ("DIFFERENCES", lambda v: len(v["differences"])),
]
KINDS = [
    "cpu",
    "memory",
    "disk_missing",
    "nic_count",
    "nic_slow",
    "link_down",
    "firmware_needs_update",
    "version_not_understood",
    "cabling",
    "crossed_cable",
]


def add_node_command(node_verbs, common) -> None:
    """`bearman node conformance …` and `bearman node waive …`."""
    show = node_verbs.add_parser(
        "conformance",
        parents=[common],
        help="a node's latest conformance verdict, its differences and history",
        description="Show whether the node has what its flavor and cabling plan say. "
        "--recheck checks its stored facts again first (a held node that passes goes back "
        "to registered, then ready once its BMC answers). Exit code 0 either way; read "
        "RESULT, or `latest.passed` with --json.",
    )
    show.add_argument("uuid", help="system UUID, any case")
    show.add_argument("--recheck", action="store_true", help="check again before showing")
    show.set_defaults(run=run_conformance)

    waive = node_verbs.add_parser(
        "waive",
        parents=[common],
        help="accept one difference of a node's latest verdict (then re-check)",
    )
    waive.add_argument("uuid", help="system UUID, any case")
    waive.add_argument("kind", choices=KINDS)
    waive.add_argument("component", help="as the verdict names it: memory, bios, eno1, …")
    waive.add_argument("--reason", required=True, help="why this difference is acceptable")
    waive.set_defaults(run=run_waive)


def run_conformance(args, api) -> None:
    path = f"/api/v1/nodes/{args.uuid}/conformance/"
    if args.recheck:
        api.post(f"{path}recheck/")
    seen = api.get(path)
    if args.json:
        emit(seen, as_json=True)
        return
    latest = seen["latest"]
    print(f"node    {terminal_safe(seen['uuid'])} ({seen['status']})")
    if latest is None:
        print("result  never checked (no flavor or cabling plan, or not registered since)")
        return
    result = "passed" if latest["passed"] else "failed"
    held = ", held in maintenance" if latest["held"] else ""
    print(
        f"result  {result}{held} ({latest['trigger']} by {terminal_safe(latest['actor'])}, "
        f"{latest['checked_at']})"
    )
    if latest["differences"]:
        print()
        print_table(latest["differences"], DIFFERENCE_COLUMNS)
    print()
    print_table(seen["history"], HISTORY_COLUMNS)


def run_waive(args, api) -> None:
    waiver = api.post(
        f"/api/v1/nodes/{args.uuid}/conformance/waivers/",
        {"kind": args.kind, "component": args.component, "reason": args.reason},
    )
    emit(waiver, as_json=args.json)
