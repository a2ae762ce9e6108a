"""bearman flavor … and bearman profile …: what operators define once."""

from pathlib import Path

from bearman.operator_cli.output import emit

FLAVOR_COLUMNS = [
    ("NAME", "name"),
    ("DEFAULT PROFILE", "default_profile"),
    ("POOLS", lambda f: ",".join(f["service_pools"])),
    ("VLAN", "vlan"),
    ("BOND", "bond_mode"),
    ("DESCRIPTION", "description"),
]
PROFILE_COLUMNS = [
    ("NAME", "name"),
    ("BOOT", "boot_method"),
    ("KERNEL", lambda p: p["kernel_url"] or p["kernel_artifact"]),
    ("DESCRIPTION", "description"),
]


def add_commands(commands, common) -> None:
    _add_noun(commands, common, "flavor", "flavors: what machines are for", _flavor_options)
    _add_noun(commands, common, "profile", "profiles: the OS a node boots", _profile_options)


def _add_noun(commands, common, noun: str, summary: str, add_options) -> None:
    parser = commands.add_parser(noun, help=summary)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    verbs.add_parser("list", parents=[common], help=f"list {noun}s").set_defaults(
        run=run_list, noun=noun
    )
    for verb, text in (("show", "show one"), ("delete", "delete one")):
        sub = verbs.add_parser(verb, parents=[common], help=f"{text} {noun}")
        sub.add_argument("name")
        sub.set_defaults(run=RUNNERS[verb], noun=noun)
    for verb, text in (("create", "create a"), ("set", "change a")):
        sub = verbs.add_parser(verb, parents=[common], help=f"{text} {noun}")
        sub.add_argument("name")
        add_options(sub)
        sub.set_defaults(run=RUNNERS[verb], noun=noun)


def _flavor_options(parser) -> None:
    parser.add_argument("--description")
    parser.add_argument("--default-profile", help="profile name ('' for none)")
    parser.add_argument(
        "--pool", dest="service_pools", action="append", help="IPman pool name; repeatable"
    )
    parser.add_argument("--vlan", type=int)
    parser.add_argument("--bond-mode", choices=["none", "active-backup", "802.3ad", "balance-xor"])
    parser.add_argument("--bond-options", help="e.g. 'miimon=100 lacp_rate=fast'")


def _profile_options(parser) -> None:
    parser.add_argument("--description")
    parser.add_argument("--boot-method", choices=["kexec", "ipxe"])
    parser.add_argument("--kernel-url")
    parser.add_argument("--kernel-artifact", help="name of an uploaded artifact")
    parser.add_argument("--kernel-sha256")
    parser.add_argument("--initrd-url")
    parser.add_argument("--initrd-artifact", help="name of an uploaded artifact")
    parser.add_argument("--initrd-sha256")
    parser.add_argument("--append", help="kernel command line (one line)")
    parser.add_argument("--install-script", type=Path, help="file with the install script")


OPTION_FIELDS = {
    "flavor": [
        "description",
        "default_profile",
        "service_pools",
        "vlan",
        "bond_mode",
        "bond_options",
    ],
    "profile": [
        "description",
        "boot_method",
        "kernel_url",
        "kernel_artifact",
        "kernel_sha256",
        "initrd_url",
        "initrd_artifact",
        "initrd_sha256",
        "append",
    ],
}
RELATIONS = {"default_profile", "kernel_artifact", "initrd_artifact"}


def _body(args) -> dict:
    body = {f: getattr(args, f) for f in OPTION_FIELDS[args.noun] if getattr(args, f) is not None}
    for field in RELATIONS & set(body):
        body[field] = body[field] or None  # '' removes the link
    if getattr(args, "install_script", None):
        body["install_script"] = args.install_script.read_text()
    return body


def _columns(noun: str):
    return FLAVOR_COLUMNS if noun == "flavor" else PROFILE_COLUMNS


def _path(noun: str, name: str = "") -> str:
    return f"/api/v1/{noun}s/{name + '/' if name else ''}"


def run_list(args, api) -> None:
    emit(list(api.each(_path(args.noun))), as_json=args.json, columns=_columns(args.noun))


def run_show(args, api) -> None:
    emit(api.get(_path(args.noun, args.name)), as_json=args.json)


def run_create(args, api) -> None:
    emit(api.post(_path(args.noun), {"name": args.name, **_body(args)}), as_json=args.json)


def run_set(args, api) -> None:
    emit(api.patch(_path(args.noun, args.name), _body(args)), as_json=args.json)


def run_delete(args, api) -> None:
    api.delete(_path(args.noun, args.name))
    if not args.json:
        print(f"deleted {args.noun} {args.name}")


RUNNERS = {
    "show": run_show,
    "delete": run_delete,
    "create": run_create,
    "set": run_set,
}
