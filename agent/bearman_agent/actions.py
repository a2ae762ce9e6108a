"""What each subcommand does: build the client, call one flow, shape the output."""

from __future__ import annotations

import argparse
import os
import tempfile
import traceback
from pathlib import Path
from typing import Any, Callable

from bearman_agent.commands import MASK, CommandRunner
from bearman_agent.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    AgentError,
    FactsIncomplete,
    UsageError,
)
from bearman_agent.output import error, print_json, progress


def run_action(args: argparse.Namespace) -> int:
    """Run the chosen subcommand; every failure ends as one line on stderr and an exit code."""
    try:
        ACTIONS[args.action](args)
    except AgentError as failure:
        error(str(failure))
        return failure.exit_code
    except KeyboardInterrupt:
        error("interrupted")
        return EXIT_INTERRUPTED
    except Exception as failure:  # a bug: still one line; BEARMAN_DEBUG=1 adds the traceback
        if os.environ.get("BEARMAN_DEBUG", "") == "1":
            traceback.print_exc()
        error(f"internal error: {type(failure).__name__}: {failure}")
        return EXIT_INTERNAL
    return EXIT_OK


def facts(args: argparse.Namespace) -> None:
    """Print the facts as JSON."""
    print_json(_collect(args))


def _collect(args: argparse.Namespace) -> dict[str, Any]:
    """The facts, with --system-uuid when given."""
    from bearman_agent.commands import DEFAULT_TIMEOUT
    from bearman_agent.facts import collect_facts

    # facts' --timeout limits each tool; the other commands' --timeout is the RPC deadline.
    tool_timeout = args.timeout if args.action == "facts" else DEFAULT_TIMEOUT
    return collect_facts(
        lldp_wait=args.lldp_wait,
        system_uuid=getattr(args, "system_uuid", None),
        tool_timeout=tool_timeout,
    )


def _client(args: argparse.Namespace) -> Any:
    """The gRPC client from --server, --token, --timeout, --retries and TLS options."""
    from bearman_agent.client import AgentClient, RetryPolicy

    if not args.server:
        raise UsageError("no server: pass --server or set BEARMAN_SERVER")
    return AgentClient(
        server=args.server,
        token=args.token,
        timeout=args.timeout,
        retry=RetryPolicy(retries=args.retries),
        tls=args.tls,
        ca_file=args.ca_file,
    )


def _system_uuid(args: argparse.Namespace) -> str:
    """--system-uuid, else this machine's SMBIOS UUID; FactsIncomplete when neither exists."""
    if args.system_uuid:
        return args.system_uuid.strip().lower()
    from bearman_agent.facts.dmidecode import collect_identity

    uuid = collect_identity().get("system_uuid", "")
    if not uuid:
        raise FactsIncomplete("no system UUID: dmidecode found none; pass --system-uuid")
    return uuid


def _show(args: argparse.Namespace, message: Any, text: str | None = None) -> None:
    """A response as JSON with --json, else as `name: value` lines (or the given text)."""
    from bearman_agent.convert import message_to_dict

    data = message_to_dict(message)
    if args.json:
        print_json(data)
    elif text is not None:
        print(text)
    else:
        for name, value in _flatten(data):
            print(f"{name}: {value}")


def _flatten(data: Any, prefix: str = ""):
    """(dotted.name, value) for every leaf of nested dicts and lists."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _flatten(value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _flatten(value, f"{prefix}{index}.")
    else:
        yield prefix.rstrip("."), data


def ipxe(args: argparse.Namespace) -> None:
    """GetIpxe."""
    client = _client(args)
    answer = client.get_ipxe(_system_uuid(args))
    _show(args, answer, text=answer.script.rstrip("\n"))


def profile(args: argparse.Namespace) -> None:
    """GetProfile; prints the agent token, which the server hands out only this once."""
    client = _client(args)
    _show(args, client.get_profile(_system_uuid(args)))


def detail(args: argparse.Namespace) -> None:
    """GetDetail."""
    client = _client(args)
    _show(args, client.get_detail(_system_uuid(args)))


def installed(args: argparse.Namespace) -> None:
    """ReportInstalled."""
    client = _client(args)
    uuid = _system_uuid(args)
    _show(args, client.report_installed(uuid), text=f"reported {uuid} INSTALLED")


def failed(args: argparse.Namespace) -> None:
    """ReportFailed with the operator's message."""
    from bearman_agent.address import own_address

    client = _client(args)
    uuid = _system_uuid(args)
    address = args.address or own_address(client.target)
    answer = client.report_failed(uuid, args.message, address, args.phase)
    _show(args, answer, text=f"reported the failure of {uuid} ({args.phase})")


def register(args: argparse.Namespace) -> None:
    """The registration flow."""
    from bearman_agent.address import own_address
    from bearman_agent.convert import message_to_dict
    from bearman_agent.register import register_machine

    client = _client(args)
    runner = CommandRunner(dry_run=args.dry_run, echo=not args.json)
    result = register_machine(
        client,
        collect=lambda: _collect(args),
        agent_address=own_address(client.target),
        runner=runner,
        poweroff=not args.no_poweroff,
    )
    bmc = dict(message_to_dict(result.bmc), password=MASK)
    if args.json:
        print_json(_flow_report(args, runner, node_uuid=result.node_uuid, bmc=bmc))
    else:
        done = "not configured (dry run)" if args.dry_run else "configured"
        progress(f"node {result.node_uuid}: BMC {bmc['address']}/{bmc['prefix_length']} {done}")


def deploy(args: argparse.Namespace) -> None:
    """The deployment flow."""
    from bearman_agent.address import own_address
    from bearman_agent.convert import message_to_dict
    from bearman_agent.deploy import Deployment, DeployOptions

    client = _client(args)
    runner = CommandRunner(dry_run=args.dry_run, echo=not args.json)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bearman-deploy-"))
    workdir.mkdir(parents=True, exist_ok=True)
    done = Deployment(
        client=client,
        system_uuid=_system_uuid(args),
        agent_address=own_address(client.target),
        runner=runner,
        options=DeployOptions(workdir=workdir, script_timeout=args.script_timeout),
    ).run()
    if args.json:
        shown = dict(message_to_dict(done.profile), agent_token=MASK)
        detail = message_to_dict(done.detail)
        print_json(_flow_report(args, runner, profile=shown, detail=detail))


def _flow_report(args: argparse.Namespace, runner: CommandRunner, **data: Any) -> dict[str, Any]:
    """The --json output of a flow: its data, the commands, and whether they ran."""
    commands = [command.shown() for command in runner.done]
    return dict(data, commands=commands, dry_run=args.dry_run)


def autorun(args: argparse.Namespace) -> None:
    """register or deploy, as the kernel command line says."""
    from bearman_agent.cmdline import read_boot_settings

    boot = read_boot_settings(Path(args.cmdline))
    args.server = args.server or boot.server
    args.token = args.token or boot.token
    args.tls = args.tls or boot.tls
    # bearman.uuid is what Bearman booted this machine as: it wins over a board's SMBIOS.
    args.system_uuid = args.system_uuid or boot.uuid or None
    progress(f"autorun: bearman.mode={boot.mode}, server {args.server or 'none'}")
    (register if boot.mode == "register" else deploy)(args)


ACTIONS: dict[str, Callable[[argparse.Namespace], None]] = {
    "facts": facts,
    "register": register,
    "ipxe": ipxe,
    "profile": profile,
    "detail": detail,
    "installed": installed,
    "failed": failed,
    "deploy": deploy,
    "autorun": autorun,
}
