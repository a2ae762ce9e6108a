"""bearman pool list|show|allocate|release: IPman's address pools."""

from bearman.cli.output import emit

POOLS = "/api/v1/ipman/pools/"
COLUMNS = [
    ("ID", "id"),
    ("NAME", "name"),
    ("NETWORK", "network"),
    ("PURPOSE", "purpose"),
    ("AZ", "availability_zone"),
    ("VLAN", "vlan"),
    ("GATEWAY", "gateway"),
]
ALLOCATION_COLUMNS = [("ADDRESS", "address"), ("OWNER", "owner"), ("POOL", "pool")]


def add_commands(commands, common) -> None:
    pool = commands.add_parser("pool", help="IPman address pools")
    verbs = pool.add_subparsers(dest="verb", metavar="VERB", required=True)
    verbs.add_parser("list", parents=[common], help="list pools").set_defaults(run=run_list)
    show = verbs.add_parser("show", parents=[common], help="show one pool")
    show.add_argument("pool", help="pool id")
    show.set_defaults(run=run_show)
    for verb, text, run in (
        ("allocate", "give an owner an address (the same one if it has one)", run_allocate),
        ("release", "take an owner's address back", run_release),
    ):
        sub = verbs.add_parser(verb, parents=[common], help=text)
        sub.add_argument("pool", help="pool id")
        sub.add_argument("--owner", required=True, help="e.g. node/<uuid>/ipmi")
        sub.set_defaults(run=run)


def run_list(args, api) -> None:
    emit(list(api.each(POOLS)), as_json=args.json, columns=COLUMNS)


def run_show(args, api) -> None:
    emit(api.get(f"{POOLS}{args.pool}/"), as_json=args.json)


def run_allocate(args, api) -> None:
    allocation = api.post(f"{POOLS}{args.pool}/allocate/", {"owner": args.owner})
    emit(allocation, as_json=args.json, columns=ALLOCATION_COLUMNS)


def run_release(args, api) -> None:
    released = api.post(f"{POOLS}{args.pool}/release/", {"owner": args.owner})
    if args.json:
        emit(released, as_json=True)
    else:
        print(f"released the address of {args.owner} in pool {args.pool}")
