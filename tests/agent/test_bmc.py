"""The ipmitool commands built from the server's BmcSettings."""

from __future__ import annotations

import pytest

from bearman_agent.bmc import bmc_commands
from bearman_agent.errors import ServerRefused
from tests.agent.peer import default_bmc


def settings(**overrides):
    """The peer's BMC settings (user 3 on channel 1) with some fields changed."""
    bmc = default_bmc()
    for name, value in overrides.items():
        setattr(bmc, name, value)
    return bmc


def test_commands_are_argument_lists_with_the_password_kept_secret():
    commands = bmc_commands(settings(password="p; rm -rf / #"))
    password = next(c for c in commands if c.argv[:4] == ("ipmitool", "user", "set", "password"))
    assert password.argv == ("ipmitool", "user", "set", "password", "3", "p; rm -rf / #")
    assert password.shown() == "ipmitool user set password 3 '********'"


def test_channel_and_user_default_to_1_and_2():
    commands = [c.shown() for c in bmc_commands(settings(channel=0, user_id=0))]
    assert commands[0] == "ipmitool lan set 1 ipsrc static"
    assert "ipmitool user enable 2" in commands


@pytest.mark.parametrize(
    "overrides, problem",
    [
        ({"address": ""}, "address '' is not an IPv4 address"),
        ({"gateway": "gw.example"}, "gateway 'gw.example' is not an IPv4 address"),
        ({"netmask": "255.0.255.0"}, "no usable netmask"),
        ({"netmask": "", "prefix_length": 0}, "no usable netmask"),
        ({"username": ""}, "no BMC user name"),
        ({"password": ""}, "password must have 1 to 20 characters"),
        ({"password": "x" * 21}, "password must have 1 to 20 characters"),
        ({"vlan": 4095}, "VLAN 4095 is out of range"),
        ({"password": "-b5fFx2kQ"}, "BMC password starts with '-'"),
        ({"username": "--help"}, "BMC username starts with '-'"),
    ],
)
def test_unusable_settings_are_refused_before_any_command(overrides, problem):
    with pytest.raises(ServerRefused, match=problem):
        bmc_commands(settings(**overrides))
