"""bearman deploy UUID …, and bearman baremetal list|show|redeploy|release.

A Baremetal is one deployment of a profile on a node, as the admin and the API call it.
"""

from bearman.operator_cli.errors import ApiError
from bearman.operator_cli.output import emit

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

    parser = commands.add_parser(
        "baremetal", help="Baremetals (a profile deployed on a node): list, redeploy, release"
    )
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
    deployment = _of_node(api, args.uuid)
    emit(api.post(f"{BAREMETALS}{deployment['id']}/redeploy/"), as_json=args.json)


def run_release(args, api) -> None:
    deployment = _of_node(api, args.uuid)
    api.post(f"{BAREMETALS}{deployment['id']}/release/")
    if not args.json:
        print(f"released {deployment['hostname']} on {deployment['node']}")


def _of_node(api, uuid: str) -> dict:
    found = api.get(BAREMETALS, {"node": uuid})["results"]
    if not found:
        raise ApiError(404, f"Node {uuid} has no Baremetal.")
    return found[0]
