"""The kernel command line as Bearman's iPXE script writes it."""

from __future__ import annotations

import pytest

from bearman_agent.cmdline import BootSettings, parse_cmdline, read_boot_settings
from bearman_agent.errors import UsageError


def test_bearman_parameters_among_the_kernels_own():
    text = (
        "BOOT_IMAGE=/vmlinuz initrd=initrd.img console=ttyS0,115200 bearman.mode=register "
        "bearman.server=10.0.0.5:50051 bearman.token=enroll-7f3a9c ip=dhcp\n"
    )
    assert parse_cmdline(text) == BootSettings(
        mode="register", server="10.0.0.5:50051", token="enroll-7f3a9c", tls=False
    )


def test_quoted_values_and_the_last_one_wins():
    text = 'bearman.token="first" bearman.mode=deploy bearman.token="a=b=c" bearman.tls=1'
    settings = parse_cmdline(text)
    assert settings.token == "a=b=c"
    assert settings.tls is True


def test_everything_after_a_lone_double_dash_belongs_to_init():
    assert parse_cmdline("quiet -- bearman.mode=register") == BootSettings()


def test_an_unbalanced_quote_does_not_lose_the_other_words():
    settings = parse_cmdline('acpi="on bearman.mode=deploy bearman.server=bm:50051')
    assert (settings.mode, settings.server) == ("deploy", "bm:50051")


def test_words_without_a_value_or_another_prefix_are_ignored():
    assert parse_cmdline("bearman.mode notbearman.mode=register bearman.=x") == BootSettings()


def test_read_refuses_a_missing_file(tmp_path):
    with pytest.raises(UsageError, match="cannot read"):
        read_boot_settings(tmp_path / "absent")


def test_bearmans_own_ipxe_command_line_gives_the_grpc_endpoint_and_uuid():
    line = (
        "initrd=initrd bearman.mode=deploy bearman.server=http://10.0.0.2:8000 "
        "bearman.grpc=10.0.0.2:50051 bearman.uuid=4c4c4544-0042-3510-8052-b3c04f4b4c32 "
        "console=ttyS0,115200n8"
    )
    settings = parse_cmdline(line)
    assert (settings.mode, settings.server) == ("deploy", "10.0.0.2:50051")
    assert settings.uuid == "4c4c4544-0042-3510-8052-b3c04f4b4c32"


def test_a_url_in_bearman_server_alone_means_its_host():
    assert parse_cmdline("bearman.server=http://10.0.0.2:8000").server == "10.0.0.2"
    assert parse_cmdline("bearman.server=http://[fd00::2]:8000").server == "[fd00::2]"
    assert parse_cmdline("bearman.server=10.0.0.2:6000").server == "10.0.0.2:6000"
