"""bearman pool list|show|allocate|release: IPman's address pools."""

from bearman.operator_cli.errors import ApiError
from bearman.operator_cli.output import emit

POOLS = "/api/v1/ipman/pools/"
COLUMNS = [
    ("ID", "id"),
    ("NAME", "name"),
    ("NETWORK", "network"),
    ("PURPOSE", "purpose"),
    ("AZ", "availability_zone"),
    ("VLAN", "vlan"),
    ("USED", lambda p: f"{p['used']}/{p['total']}"),
]
ASSIGNMENT_COLUMNS = [
    ("address", "address"),
    ("owner", "owner"),
    ("pool", "pool_name"),
    ("network", "network"),
    ("gateway", "gateway"),
    ("VLAN", "vlan"),
]


def add_commands(commands, common) -> None:
    pool = commands.add_parser("pool", help="IPman address pools")
    verbs = pool.add_subparsers(dest="verb", metavar="VERB", required=True)
    verbs.add_parser("list", parents=[common], help="list pools").set_defaults(run=run_list)
    show = verbs.add_parser("show", parents=[common], help="show one pool")
    show.add_argument("pool", help="pool id or name")
    show.set_defaults(run=run_show)
    for verb, text, run in (
        ("allocate", "give an owner an address (the same one if it has one)", run_allocate),
        ("release", "take an owner's address back", run_release),
    ):
        sub = verbs.add_parser(verb, parents=[common], help=text)
        sub.add_argument("pool", help="pool id or name")
        sub.add_argument("--owner", required=True, help="e.g. vip/api or node/<uuid>/ipmi")
        sub.set_defaults(run=run)


def run_list(args, api) -> None:
    emit(list(api.each(POOLS)), as_json=args.json, columns=COLUMNS)


def run_show(args, api) -> None:
    emit(api.get(f"{POOLS}{_pool_id(api, args.pool)}/"), as_json=args.json)


def run_allocate(args, api) -> None:
    assignment = api.post(f"{POOLS}{_pool_id(api, args.pool)}/allocate/", {"owner": args.owner})
    emit(assignment, as_json=args.json, columns=ASSIGNMENT_COLUMNS)


def run_release(args, api) -> None:
    released = api.post(f"{POOLS}{_pool_id(api, args.pool)}/release/", {"owner": args.owner})
    if args.json:
        emit(released, as_json=True)
    elif released["released"]:
        print(f"released {', '.join(released['released'])} held by {args.owner}")
    else:
        print(f"{args.owner} held no address in pool {args.pool}")


def _pool_id(api, pool: str) -> str:
    """Pools are addressed by id; operators know them by name too."""
    if pool.isdecimal():
        return pool
    for candidate in api.each(POOLS):
        if candidate["name"] == pool:
            return str(candidate["id"])
    raise ApiError(404, f"IPman has no pool named {pool}.")
