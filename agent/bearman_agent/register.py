"""Registration: collect facts, Register, configure the BMC, power off; report any failure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from bearman_agent import __version__, timeline
from bearman_agent.bmc import bmc_commands
from bearman_agent.commands import Command, CommandRunner, require_tools
from bearman_agent.errors import FactsIncomplete
from bearman_agent.failure import report_failure
from bearman_agent.output import progress
from bearman_agent.timeline import report_step

POWEROFF = Command(("poweroff",))


@dataclass
class Registration:
    """What registering did: the server's answer and the commands run (or printed)."""

    node_uuid: str
    bmc: Any
    commands: list[Command]


def register_machine(
    client: Any,
    *,
    collect: Callable[[], dict[str, Any]],
    agent_address: str,
    runner: CommandRunner,
    poweroff: bool,
) -> Registration:
    """The whole registration; on failure ReportFailed(phase="register") and re-raise."""
    facts: dict[str, Any] = {}
    try:
        # Facts first: a failure reported with the machine's UUID reaches its node.
        facts = collect()
        require_tools(["ipmitool"] + (["poweroff"] if poweroff else []))
        return _register(client, facts, agent_address, runner, poweroff)
    except Exception as failure:
        report_failure(
            client,
            system_uuid=facts.get("system_uuid", ""),
            error=failure,
            agent_address=agent_address,
            phase="register",
        )
        raise


def _register(
    client: Any, facts: dict[str, Any], agent_address: str, runner: CommandRunner, poweroff: bool
) -> Registration:
    """Register, then set the BMC and power off as the server's answer says."""
    if not facts.get("system_uuid"):
        raise FactsIncomplete("no system UUID: dmidecode found none; pass --system-uuid")
    from bearman_agent.convert import facts_to_proto

    progress(f"registering {facts['system_uuid']} from {agent_address or 'unknown address'}")
    answer = client.register(facts_to_proto(facts), agent_address, __version__)
    progress(f"registered as {answer.node_uuid}; BMC address {answer.bmc.address}")
    for command in bmc_commands(answer.bmc):
        runner.run(command)
    report = not runner.dry_run  # a dry run configured nothing
    if report:
        report_step(client, system_uuid=answer.node_uuid, step=timeline.BMC_CONFIGURED)
    if poweroff:
        if report:
            report_step(client, system_uuid=answer.node_uuid, step=timeline.POWERING_OFF)
        runner.run(POWEROFF)
    return Registration(node_uuid=answer.node_uuid, bmc=answer.bmc, commands=list(runner.done))
