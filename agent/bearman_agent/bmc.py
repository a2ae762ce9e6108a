"""Configuring the BMC from the server's BmcSettings with ipmitool, over the host interface."""

from __future__ import annotations

import ipaddress
from typing import Any

from bearman_agent.commands import Command
from bearman_agent.errors import ServerRefused

ADMINISTRATOR = "4"
# IPMI v2.0 stores passwords of up to 20 bytes; ipmitool wants "20" to say so above 16.
MAX_PASSWORD = 20
IPMI_V15_PASSWORD = 16


def bmc_commands(settings: Any) -> list[Command]:
    """The ipmitool commands that give the BMC its address, VLAN and Bearman's user."""
    _check(settings)
    return _lan_commands(settings) + _user_commands(settings)


def _check(settings: Any) -> None:
    """Refuse settings that ipmitool would reject halfway through, leaving the BMC half set."""
    problems = []
    for name in ("address", "gateway") if settings.gateway else ("address",):
        try:
            ipaddress.IPv4Address(getattr(settings, name))
        except ValueError:
            problems.append(f"{name} {getattr(settings, name)!r} is not an IPv4 address")
    try:
        netmask_of(settings)
    except ValueError:
        problems.append(f"no usable netmask ({settings.netmask!r}, /{settings.prefix_length})")
    if not settings.username:
        problems.append("no BMC user name")
    # ipmitool reads an argument starting with "-" as an option, wherever it stands.
    for name in ("username", "password"):
        if getattr(settings, name).startswith("-"):
            problems.append(f"BMC {name} starts with '-', which ipmitool takes for an option")
    if not 0 < len(settings.password) <= MAX_PASSWORD:
        problems.append(f"BMC password must have 1 to {MAX_PASSWORD} characters")
    if settings.vlan > 4094:
        problems.append(f"VLAN {settings.vlan} is out of range")
    if problems:
        raise ServerRefused("the server sent unusable BMC settings: " + "; ".join(problems))


def netmask_of(settings: Any) -> str:
    """The dotted netmask, from the prefix length when the server left it out; ValueError if bad."""
    if settings.netmask:
        return str(ipaddress.IPv4Network(f"0.0.0.0/{settings.netmask}").netmask)
    if not 0 < settings.prefix_length <= 32:
        raise ValueError(f"prefix length {settings.prefix_length} out of range")
    return str(ipaddress.IPv4Network(f"0.0.0.0/{settings.prefix_length}").netmask)


def _lan_commands(settings: Any) -> list[Command]:
    """Static address, netmask, gateway and VLAN on the LAN channel."""
    channel = str(settings.channel or 1)
    lan = ("ipmitool", "lan", "set", channel)
    vlan = str(settings.vlan) if settings.vlan else "off"
    commands = [
        Command(lan + ("ipsrc", "static")),
        Command(lan + ("ipaddr", settings.address)),
        Command(lan + ("netmask", netmask_of(settings))),
    ]
    if settings.gateway:
        commands.append(Command(lan + ("defgw", "ipaddr", settings.gateway)))
    commands.append(Command(lan + ("vlan", "id", vlan)))
    return commands


def _user_commands(settings: Any) -> list[Command]:
    """Bearman's user: name, password, administrator on the channel, enabled."""
    channel = str(settings.channel or 1)
    user = str(settings.user_id or 2)
    password = ("ipmitool", "user", "set", "password", user, settings.password)
    if len(settings.password) > IPMI_V15_PASSWORD:
        password += ("20",)
    return [
        Command(("ipmitool", "user", "set", "name", user, settings.username)),
        Command(password, secrets=(settings.password,)),
        Command(("ipmitool", "user", "priv", user, ADMINISTRATOR, channel)),
        Command(("ipmitool", "user", "enable", user)),
        Command(
            ("ipmitool", "channel", "setaccess", channel, user)
            + ("callin=on", "ipmi=on", "link=on", f"privilege={ADMINISTRATOR}")
        ),
    ]
