"""`bearman-cli`: the argument parser and the dispatch; the work is imported only when needed."""

from __future__ import annotations

import argparse
import os
import sys

from bearman_agent import __version__
from bearman_agent.errors import EXIT_CODES

DESCRIPTION = "Bearman's first-stage agent: registers this server and deploys its OS."
ENVIRONMENT = """environment:
  BEARMAN_SERVER    default for --server (HOST or HOST:PORT, port 50051 by default)
  BEARMAN_TOKEN     default for --token (the enrollment token, or a Baremetal's agent token)"""


def exit_codes_epilog() -> str:
    """The exit codes, for every --help."""
    lines = [f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES]
    return "exit codes:\n" + "\n".join(lines) + "\n\n" + ENVIRONMENT


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="bearman-cli",
        description=DESCRIPTION,
        epilog=exit_codes_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bearman-cli {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    # Each shared option set is built once, for all its subcommands: one per subcommand
    # doubled the parsers a run builds, and building them was most of a run's start-up.
    connection, uuid, lldp = _connection_options(), _uuid_option(), _lldp_option()
    deploy = _deploy_options()
    _add_facts(commands, lldp)
    _add_register(commands, connection, uuid, lldp)
    _add_single_calls(commands, connection, uuid)
    _add_deploy(commands, connection, uuid, deploy)
    _add_autorun(commands, connection, uuid, lldp, deploy)
    return parser


def _subcommand(commands, name: str, summary: str, *parents) -> argparse.ArgumentParser:
    """A subcommand whose --help ends with the exit codes."""
    return commands.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=exit_codes_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=list(parents),
    )


def _connection_options() -> argparse.ArgumentParser:
    """--server, --token, --timeout, --retries, TLS and --json, shared by the server calls."""
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_argument_group("server")
    group.add_argument(
        "--server",
        default=os.environ.get("BEARMAN_SERVER", ""),
        help="Bearman's gRPC address, HOST[:PORT] (default: $BEARMAN_SERVER)",
    )
    group.add_argument(
        "--token",
        default=os.environ.get("BEARMAN_TOKEN", ""),
        help="the bearer token (default: $BEARMAN_TOKEN)",
    )
    group.add_argument(
        "--timeout",
        type=_positive,
        default=10.0,
        metavar="SECONDS",
        help="deadline of each call (default: 10)",
    )
    group.add_argument(
        "--retries",
        type=_count,
        default=5,
        metavar="N",
        help="retries of a call on UNAVAILABLE or DEADLINE_EXCEEDED (default: 5)",
    )
    group.add_argument("--tls", action="store_true", help="use TLS with the system's CAs")
    group.add_argument("--ca-file", metavar="PEM", help="use TLS with this CA bundle")
    options.add_argument("--json", action="store_true", help="print the result as JSON")
    return options


def _uuid_option() -> argparse.ArgumentParser:
    """--system-uuid, for machines whose SMBIOS has none and for operators acting on another."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--system-uuid",
        metavar="UUID",
        help="the node's system UUID (default: this machine's, from dmidecode)",
    )
    return options


def _lldp_option() -> argparse.ArgumentParser:
    """--lldp-wait: lldpd needs up to a TX interval (30 s) to hear the switch after boot."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--lldp-wait",
        type=_non_negative,
        default=0.0,
        metavar="SECONDS",
        help="wait up to this long for an LLDP neighbour on every linked NIC",
    )
    return options


def _add_facts(commands, *parents) -> None:
    """facts: print what the collectors find."""
    facts = _subcommand(
        commands, "facts", "collect this machine's hardware facts, print JSON", *parents
    )
    facts.add_argument(
        "--timeout",
        type=_positive,
        default=60.0,
        metavar="SECONDS",
        help="time limit of each tool (default: 60)",
    )
    facts.add_argument(
        "--json",
        action="store_true",
        help="print JSON (the only format of facts; accepted for symmetry)",
    )
    facts.set_defaults(action="facts")


def _add_register(commands, *parents) -> None:
    """register: the first boot of a machine."""
    register = _subcommand(
        commands,
        "register",
        "collect facts, Register, configure the BMC with ipmitool, power off",
        *parents,
    )
    _flags(
        register,
        no_poweroff="stay powered on after configuring the BMC",
        dry_run="call Register but only print the commands it would run",
    )
    register.set_defaults(action="register")


def _add_single_calls(commands, *parents) -> None:
    """ipxe, profile, detail, installed, failed: one call each."""
    calls = (
        ("ipxe", "print the iPXE script Bearman serves this node now (GetIpxe)"),
        (
            "profile",
            "print the pending Baremetal's profile (GetProfile: moves it to DEPLOYING "
            "and hands out its agent token, once)",
        ),
        ("detail", "print the Baremetal's hostname and network (GetDetail; agent token)"),
        ("installed", "report the Baremetal INSTALLED (ReportInstalled; agent token)"),
    )
    for name, summary in calls:
        parser = _subcommand(commands, name, summary, *parents)
        parser.set_defaults(action=name)
    failed = _subcommand(commands, "failed", "report a failure (ReportFailed)", *parents)
    failed.add_argument("message", metavar="MESSAGE", help="what failed, for people")
    failed.add_argument(
        "--phase",
        choices=("register", "deploy"),
        default="deploy",
        help="where it failed (default: deploy)",
    )
    failed.add_argument(
        "--address", metavar="IP", help="the address to SSH into (default: this machine's)"
    )
    failed.set_defaults(action="failed")


def _deploy_options() -> argparse.ArgumentParser:
    """Options of the deploy flow, shared with autorun."""
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_argument_group("deploy")
    group.add_argument(
        "--workdir",
        metavar="DIR",
        help="where to put the kernel, initrd and script (default: a new temp dir)",
    )
    group.add_argument(
        "--script-timeout",
        type=_positive,
        default=3600.0,
        metavar="SECONDS",
        help="time limit of the install script (default: 3600)",
    )
    return options


def _add_deploy(commands, *parents) -> None:
    """deploy: the second stage."""
    deploy = _subcommand(
        commands,
        "deploy",
        "GetProfile, GetDetail, download and verify kernel and initrd, run the install script, "
        "ReportInstalled, then kexec (or reboot for the iPXE boot method)",
        *parents,
    )
    _flags(deploy, dry_run="do everything but load and start the new kernel: print those commands")
    deploy.set_defaults(action="deploy")


def _add_autorun(commands, *parents) -> None:
    """autorun: what the systemd unit runs."""
    autorun = _subcommand(
        commands,
        "autorun",
        "read bearman.mode, bearman.server, bearman.token (and bearman.tls) from the kernel "
        "command line and run register or deploy; explicit options win",
        *parents,
    )
    autorun.add_argument(
        "--cmdline",
        default="/proc/cmdline",
        metavar="FILE",
        help="where to read the kernel command line (default: /proc/cmdline)",
    )
    _flags(
        autorun,
        no_poweroff="register: stay powered on after configuring the BMC",
        dry_run="print the commands that change the machine instead of running them",
    )
    autorun.set_defaults(action="autorun")


def _flags(parser: argparse.ArgumentParser, **flags: str) -> None:
    """On/off options from keyword arguments: dry_run="…" adds --dry-run with that help."""
    for name, text in flags.items():
        parser.add_argument("--" + name.replace("_", "-"), action="store_true", help=text)


def _positive(text: str) -> float:
    """A number of seconds above zero."""
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be above zero")
    return value


def _non_negative(text: str) -> float:
    """A number of seconds, zero or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _count(text: str) -> int:
    """A whole number, zero or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run the subcommand; every failure ends as one line and a code."""
    args = build_parser().parse_args(argv)
    from bearman_agent.actions import run_action

    return run_action(args)


if __name__ == "__main__":
    sys.exit(main())
