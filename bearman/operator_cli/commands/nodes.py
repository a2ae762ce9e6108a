"""bearman node list|show|set (and power, in power.py)."""

import getpass
import sys

from bearman.operator_cli.output import emit

from . import conformance, power

NODE_COLUMNS = [
    ("UUID", "uuid"),
    ("SERIAL", "serial"),
    ("FLAVOR", "flavor"),
    ("AZ", "availability_zone"),
    ("STATUS", "status"),
    ("POWER", "power_state"),
    ("BMC", "bmc_address"),
    ("BAREMETAL", lambda n: _baremetal(n)),
]
DETAIL_COLUMNS = [
    ("uuid", "uuid"),
    ("serial", "serial"),
    ("vendor", "vendor"),
    ("product", "product_name"),
    ("flavor", "flavor"),
    ("availability zone", "availability_zone"),
    ("rack position", "rack_position"),
    ("status", "status"),
    ("power", "power_state"),
    ("power seen at", "power_state_at"),
    ("BMC", lambda n: f"{n['bmc_driver']} {n['bmc_address'] or '-'}:{n['bmc_port']}"),
    ("BMC user", "bmc_username"),
    ("BMC password", lambda n: "set" if n["bmc_password_set"] else "not set"),
    ("Baremetal", lambda n: _baremetal(n)),
    ("last registered", "last_registered_at"),
    ("first seen from", "created_from"),
    ("re-registration armed until", "reregistration_armed_until"),
]
NODE_STATUSES = ["discovered", "registered", "ready", "maintenance", "retired", "error"]


def add_commands(commands, common) -> None:
    node = commands.add_parser("node", help="list, show, change and power nodes")
    verbs = node.add_subparsers(dest="verb", metavar="VERB", required=True)

    listing = verbs.add_parser("list", parents=[common], help="list nodes")
    listing.add_argument("--status", action="append", choices=NODE_STATUSES, help="repeatable")
    listing.add_argument("--zone", help="availability zone")
    listing.add_argument("--flavor", help="flavor name")
    listing.add_argument("--search", help="UUID, serial, BMC address, hostname or MAC")
    listing.add_argument("--limit", type=int, help="at most this many nodes")
    listing.set_defaults(run=run_list)

    show = verbs.add_parser("show", parents=[common], help="show one node")
    show.add_argument("uuid", help="system UUID, any case")
    show.set_defaults(run=run_show)

    change = verbs.add_parser(
        "set",
        parents=[common],
        help="change a node's placement, status or BMC settings",
        description="Change what is given; the rest stays. Status moves follow the state table. "
        "Moving the BMC (--bmc-driver, --bmc-address, --bmc-port) needs the power permission "
        "and forgets the stored BMC password unless --bmc-password sets a new one.",
    )
    change.add_argument("uuid", help="system UUID, any case")
    change.add_argument("--flavor", help="flavor name ('' for none)")
    change.add_argument("--zone", dest="availability_zone", help="availability zone")
    change.add_argument("--rack-position", help="e.g. dc1-r12-u07 ('' for none)")
    change.add_argument("--status", choices=NODE_STATUSES)
    change.add_argument("--bmc-driver", choices=["ipmi", "redfish", "fake"])
    change.add_argument("--bmc-address", help="IPv4 or IPv6 address of the BMC")
    change.add_argument("--bmc-port", type=int)
    change.add_argument("--bmc-user", dest="bmc_username")
    secret = change.add_mutually_exclusive_group()
    secret.add_argument(
        "--bmc-password",
        action="store_true",
        help="ask for a new BMC password (read from stdin when it is not a terminal)",
    )
    secret.add_argument("--clear-bmc-password", action="store_true")
    change.set_defaults(run=run_set)

    accept = verbs.add_parser(
        "accept",
        parents=[common],
        help="accept a discovered node (approval mode): it may register and get its BMC",
    )
    accept.add_argument("uuid", help="system UUID, any case")
    accept.set_defaults(run=run_accept)

    rearm = verbs.add_parser(
        "rearm",
        parents=[common],
        help="let a known node register again, once (it then gets new BMC settings)",
        description="A known node that registers again unasked is refused and reported. "
        "This lets its next registration through, once, for BEARMAN_REREGISTRATION_ARM_SECONDS.",
    )
    rearm.add_argument("uuid", help="system UUID, any case")
    rearm.set_defaults(run=run_rearm)

    power.add_node_command(verbs, common)
    conformance.add_node_command(verbs, common)


def run_list(args, api) -> None:
    params = {
        "status": args.status,
        "availability_zone": args.zone,
        "flavor": args.flavor,
        "search": args.search,
    }
    emit(
        list(api.each("/api/v1/nodes/", params, args.limit)),
        as_json=args.json,
        columns=NODE_COLUMNS,
    )


def run_show(args, api) -> None:
    emit(api.get(f"/api/v1/nodes/{args.uuid}/"), as_json=args.json, columns=DETAIL_COLUMNS)


def run_accept(args, api) -> None:
    node = api.post(f"/api/v1/nodes/{args.uuid}/accept/")
    emit(node, as_json=args.json, columns=DETAIL_COLUMNS)


def run_rearm(args, api) -> None:
    node = api.post(f"/api/v1/nodes/{args.uuid}/rearm/")
    emit(node, as_json=args.json, columns=DETAIL_COLUMNS)


def run_set(args, api) -> None:
    fields = (
        "availability_zone",
        "rack_position",
        "status",
        "bmc_driver",
        "bmc_address",
        "bmc_port",
        "bmc_username",
    )
    changes = {name: getattr(args, name) for name in fields if getattr(args, name) is not None}
    if args.flavor is not None:
        changes["flavor"] = args.flavor or None
    if args.bmc_password:
        changes["bmc_password"] = _read_password()
    elif args.clear_bmc_password:
        changes["bmc_password"] = ""
    node = api.patch(f"/api/v1/nodes/{args.uuid}/", changes)
    emit(node, as_json=args.json, columns=DETAIL_COLUMNS)


def _read_password() -> str:
    """From a prompt, or the first line of stdin; never from the command line (ps shows it)."""
    if sys.stdin.isatty():
        return getpass.getpass("New BMC password: ")
    return sys.stdin.readline().rstrip("\n")


def _baremetal(node: dict) -> str | None:
    baremetal = node.get("baremetal")
    return f"{baremetal['hostname']} ({baremetal['status']})" if baremetal else None
