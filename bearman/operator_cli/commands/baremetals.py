"""bearman deploy UUID …, and bearman baremetal list|show|redeploy|release|timeline.

A Baremetal is a profile deployed on a node. `bearman deployment …` still runs the same
commands (older scripts and runbooks say `bearman deployment timeline NAME`), but help
does not list it: Baremetal is the one name.
"""

import re

from bearman.operator_cli.errors import ApiError
from bearman.operator_cli.output import emit, print_record, print_table

BAREMETALS = "/api/v1/baremetals/"
COLUMNS = [
    ("HOSTNAME", "hostname"),
    ("NODE", "node"),
    ("PROFILE", "profile"),
    ("STATUS", "status"),
    ("ADDRESSES", lambda b: ",".join(a.get("address", "?") for a in b["addresses"])),
    ("ERROR", "last_error"),
]
STATUSES = ["deploy_start", "deploying", "installed", "unrecoverable_error"]


def add_commands(commands, common) -> None:
    deploy = commands.add_parser(
        "deploy",
        parents=[common],
        help="deploy a profile on a node",
        description="Create the node's Baremetal (DEPLOY_START); power the node on next.",
    )
    deploy.add_argument("uuid", help="the node's system UUID")
    deploy.add_argument("--profile", required=True, help="profile name")
    deploy.add_argument("--hostname", required=True)
    deploy.add_argument("--vlan", type=int, help="default: the flavor's VLAN")
    deploy.set_defaults(run=run_deploy)

    _baremetal_verbs(
        commands.add_parser(
            "baremetal",
            help="Baremetals (a profile deployed on a node): list, redeploy, release, timeline",
        ),
        common,
    )
    # The old word, kept working but unlisted: a parser added without help= stays out of
    # `bearman --help`, and the top-level metavar keeps it out of the usage line.
    _baremetal_verbs(commands.add_parser("deployment"), common)


def _baremetal_verbs(parser, common) -> None:
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    listing = verbs.add_parser("list", parents=[common], help="list Baremetals")
    listing.add_argument("--status", action="append", choices=STATUSES, help="repeatable")
    listing.add_argument("--profile", help="profile name")
    listing.set_defaults(run=run_list)
    for verb, text, run in (
        ("show", "show a node's Baremetal", run_show),
        ("redeploy", "deploy the node's Baremetal again (from installed or failed)", run_redeploy),
        ("release", "forget a node's Baremetal; it boots as idle", run_release),
    ):
        sub = verbs.add_parser(verb, parents=[common], help=text)
        sub.add_argument("uuid", help="the node's system UUID")
        sub.set_defaults(run=run)
    timeline = verbs.add_parser(
        "timeline",
        parents=[common],
        help="the boot timeline of a Baremetal: each step, the time between, where it stopped",
    )
    timeline.add_argument("name", help="the Baremetal's hostname, or its node's system UUID")
    timeline.set_defaults(run=run_timeline)


def run_deploy(args, api) -> None:
    body = {"node": args.uuid, "profile": args.profile, "hostname": args.hostname}
    if args.vlan is not None:
        body["vlan"] = args.vlan
    emit(api.post(BAREMETALS, body), as_json=args.json)


def run_list(args, api) -> None:
    params = {"status": args.status, "profile": args.profile}
    emit(list(api.each(BAREMETALS, params)), as_json=args.json, columns=COLUMNS)


def run_show(args, api) -> None:
    emit(_of_node(api, args.uuid), as_json=args.json)


def run_redeploy(args, api) -> None:
    baremetal = _of_node(api, args.uuid)
    emit(api.post(f"{BAREMETALS}{baremetal['id']}/redeploy/"), as_json=args.json)


def run_release(args, api) -> None:
    baremetal = _of_node(api, args.uuid)
    api.post(f"{BAREMETALS}{baremetal['id']}/release/")
    if not args.json:
        print(f"released {baremetal['hostname']} on {baremetal['node']}")


def _of_node(api, uuid: str) -> dict:
    found = api.get(BAREMETALS, {"node": uuid})["results"]
    if not found:
        raise ApiError(404, f"Node {uuid} has no Baremetal.")
    return found[0]


UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")
TIMELINE_COLUMNS = [
    ("STEP", "label"),
    ("AT", "at"),
    ("AFTER", lambda step: _duration(step["seconds_since_previous"])),
    ("DETAIL", "detail"),
]


def run_timeline(args, api) -> None:
    baremetal = _named(api, args.name)
    timeline = api.get(f"{BAREMETALS}{baremetal['id']}/timeline/")
    if args.json:
        emit(timeline, as_json=True)
        return
    print_table(timeline["steps"], TIMELINE_COLUMNS)
    print()
    summary = {
        "Baremetal": baremetal["hostname"],
        "state": timeline["state"],
        "total": _duration(timeline["total_seconds"]),
        "stopped after": timeline["stopped_after"],
        "waiting for": timeline["waiting_for"],
        "deadline": timeline["deadline"],
        "diagnosis": timeline["diagnosis"],
    }
    print_record(summary)


def _named(api, name: str) -> dict:
    """The Baremetal of this hostname, or of the node with this UUID."""
    if UUID.match(name):
        return _of_node(api, name)
    found = [b for b in api.get(BAREMETALS, {"search": name})["results"] if b["hostname"] == name]
    if not found:
        raise ApiError(404, f"No Baremetal has the hostname {name}.")
    return found[0]


def _duration(seconds) -> str:
    """1 h 02 min, 3 min 05 s, 4.2 s; '' when unknown."""
    if seconds is None:
        return ""
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"
