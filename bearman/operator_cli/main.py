"""Entry point of `bearman`: parse the command line, run one command, exit with its code."""

import argparse
import sys

from .client import ApiClient
from .commands import baremetals, cabling, catalog, events, nodes, pools, power
from .config import config_path, load_config
from .errors import EXIT_CODES, EXIT_INTERRUPTED, EXIT_OK, ApiError, CliError
from .output import terminal_safe

DESCRIPTION = """Drive Bearman from a terminal or a script through its REST API.

The server and the token come from BEARMAN_URL and BEARMAN_TOKEN, or from a TOML file
(url = "…", token = "…") at $BEARMAN_CONFIG or ~/.config/bearman/config.toml."""


def epilog() -> str:
    codes = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES)
    return f"exit codes:\n{codes}\n\nconfig file: {config_path()}"


class HelpFormatter(argparse.HelpFormatter):
    """Wraps one-line descriptions; keeps text already laid out in lines (the exit codes)."""

    def _fill_text(self, text, width, indent):
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bearman",
        description=DESCRIPTION,
        epilog=epilog(),
        formatter_class=HelpFormatter,
    )
    add_common_options(parser, argparse.SUPPRESS)
    parser.set_defaults(json=False, url=None, timeout=30.0)
    common = argparse.ArgumentParser(add_help=False)
    add_common_options(common, argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (nodes, power, catalog, baremetals, events, pools, cabling):
        module.add_commands(commands, common)
    _with_exit_codes(commands)
    return parser


def _with_exit_codes(commands: argparse.Action) -> None:
    """Every command's --help ends with the exit codes too."""
    for command in commands.choices.values():
        command.epilog = epilog()
        command.formatter_class = HelpFormatter
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                _with_exit_codes(action)


def add_common_options(parser: argparse.ArgumentParser, default) -> None:
    parser.add_argument("--json", action="store_true", default=default, help="print JSON")
    parser.add_argument("--url", default=default, help="Bearman's URL (default: BEARMAN_URL)")
    parser.add_argument(
        "--timeout", type=float, default=default, help="seconds to wait for each HTTP answer"
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        api = ApiClient(load_config(args.url), timeout=args.timeout)
        return args.run(args, api) or EXIT_OK
    except ApiError as error:
        _report(terminal_safe(str(error)) if not error.fields else _with_fields(error))
        return error.exit_code
    except CliError as error:
        _report(terminal_safe(str(error)))
        return error.exit_code
    except KeyboardInterrupt:
        _report("interrupted")
        return EXIT_INTERRUPTED


def _with_fields(error: ApiError) -> str:
    lines = ["invalid input:"]
    lines += [
        terminal_safe(f"  {field}: {_messages(msgs)}") for field, msgs in error.fields.items()
    ]
    return "\n".join(lines)


def _messages(messages) -> str:
    return " ".join(map(str, messages)) if isinstance(messages, list) else str(messages)


def _report(message: str) -> None:
    print(f"bearman: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
