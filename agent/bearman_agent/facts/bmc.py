"""The BMC as the host sees it: `ipmitool lan print` (MAC) and `ipmitool bmc info` (firmware)."""

from __future__ import annotations

import re

from bearman_agent.commands import DEFAULT_TIMEOUT, run_tool
from bearman_agent.errors import CommandFailed, ToolMissing
from bearman_agent.output import warn

LAN_PRINT = ("ipmitool", "lan", "print")
BMC_INFO = ("ipmitool", "bmc", "info")
MAC = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")


def _value(text: str, name: str) -> str:
    """The value of the first `name : value` line in ipmitool's output."""
    for line in text.splitlines():
        key, separator, value = line.partition(":")
        if separator and key.strip() == name:
            return value.strip()
    return ""


def parse_lan_print(text: str) -> dict[str, str]:
    """The BMC's MAC from `ipmitool lan print`; {} when absent or malformed."""
    mac = _value(text, "MAC Address").lower()
    return {"mac": mac} if MAC.match(mac) else {}


def parse_bmc_info(text: str) -> dict[str, str]:
    """The BMC's firmware revision from `ipmitool bmc info`; {} when absent."""
    firmware = _value(text, "Firmware Revision")
    return {"firmware": firmware} if firmware else {}


def collect_bmc(timeout: float = DEFAULT_TIMEOUT) -> dict[str, str]:
    """BMC MAC and firmware; what ipmitool could not tell is left out, with a warning."""
    bmc: dict[str, str] = {}
    problems = []
    for command, parse in ((LAN_PRINT, parse_lan_print), (BMC_INFO, parse_bmc_info)):
        try:
            bmc.update(parse(run_tool(command, timeout)))
        except ToolMissing as problem:
            problems.append(str(problem))
            break
        except CommandFailed as problem:
            problems.append(str(problem))
    # Both commands fail the same way on a host without a BMC device: say it once.
    for problem in dict.fromkeys(problems):
        warn(f"BMC facts incomplete: {problem}")
    return {"mac": bmc.get("mac", ""), "firmware": bmc.get("firmware", "")}
