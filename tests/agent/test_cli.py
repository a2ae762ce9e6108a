"""The real `bearman-cli`, run as a user runs it, for everything that needs no server."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bearman_agent.convert import facts_to_proto
from bearman_agent.errors import (
    EXIT_AUTH,
    EXIT_STEP_FAILED,
    EXIT_TOOL_MISSING,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
)
from tests.agent.conftest import run_cli

SUBCOMMANDS = [
    "facts",
    "register",
    "ipxe",
    "profile",
    "detail",
    "installed",
    "failed",
    "deploy",
    "autorun",
]
SERVER_COMMANDS = [name for name in SUBCOMMANDS if name != "facts"]
UUID = "4c4c4544-0058-4b10-8034-b7c04f505732"


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def error_line(result: subprocess.CompletedProcess) -> str:
    """The last stderr line, which must be the one error line."""
    return result.stderr.strip().splitlines()[-1]


def test_help_lists_every_subcommand_and_the_exit_codes():
    result = run_cli("--help")
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        assert re.search(rf"^\s+{name}\s", result.stdout, re.MULTILINE), name
    assert "exit codes:" in result.stdout
    for code in (EXIT_UNREACHABLE, EXIT_AUTH, EXIT_TOOL_MISSING):
        assert re.search(rf"^\s+{code}\s+\S", result.stdout, re.MULTILINE)
    # The record is a Baremetal, as the admin, the REST API and bearman say.
    assert "Baremetal's agent token" in result.stdout and "deployment" not in result.stdout


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help_with_its_options_and_exit_codes(name):
    result = run_cli(name, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: bearman-cli {name}")
    assert "--timeout" in result.stdout and "--json" in result.stdout
    assert "exit codes:" in result.stdout
    if name in SERVER_COMMANDS:
        assert "--server" in result.stdout and "--token" in result.stdout


def test_help_does_not_import_grpc():
    # --help must start fast on a small first-stage image: grpc and protobuf stay unloaded.
    code = (
        "import sys\n"
        "from bearman_agent.cli import main\n"
        "try:\n    main(['register', '--help'])\nexcept SystemExit:\n    pass\n"
        "loaded = [m for m in ('grpc', 'google.protobuf') if m in sys.modules]\n"
        "print(','.join(loaded), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stderr.strip() == ""


def test_facts_json_is_what_register_sends():
    result = run_cli("facts", "--json")
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["memory_bytes"] > 0
    assert facts["cpu"]["threads"] >= 1
    for nic in facts["nics"]:
        assert nic["mac"] == Path(f"/sys/class/net/{nic['name']}/address").read_text().strip()
    # Every key is a field of the wire's Facts: the JSON converts without loss.
    assert facts_to_proto(facts).memory_bytes == facts["memory_bytes"]


def test_facts_warnings_go_to_stderr_one_line_each():
    result = run_cli("facts")
    assert result.returncode == 0
    json.loads(result.stdout)
    for line in result.stderr.splitlines():
        assert line.startswith("bearman-cli: warning: ")


def test_unreachable_server_gives_exit_code_and_one_line():
    result = run_cli(
        "register",
        "--dry-run",
        "--server",
        f"127.0.0.1:{closed_port()}",
        "--token",
        "enroll",
        "--retries",
        "1",
        "--system-uuid",
        UUID,
    )
    assert result.returncode == EXIT_UNREACHABLE
    assert re.match(
        r"bearman-cli: error: Register to 127\.0\.0\.1:\d+: server unreachable "
        r"after 2 attempt\(s\): UNAVAILABLE",
        error_line(result),
    )
    assert "would run" not in result.stdout


def test_unknown_host_is_unreachable():
    result = run_cli(
        "ipxe",
        "--server",
        "bearman.invalid",
        "--token",
        "t",
        "--retries",
        "0",
        "--system-uuid",
        UUID,
    )
    assert result.returncode == EXIT_UNREACHABLE
    assert "bearman.invalid:50051" in error_line(result)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--token", "two words"], "bad token format"),
        (["--token", "caf\u00e9"], "bad token format"),
        (["--token", ""], "no token"),
        (["--server", "http://bearman:50051"], "bad server address 'http://bearman:50051'"),
        (["--server", "bearman:99999"], "bad server address"),
        (["--server", ""], "no server"),
    ],
)
def test_bad_token_or_server_is_a_usage_error(args, message):
    base = {"--server": "127.0.0.1:1", "--token": "good"}
    base.update(dict(zip(args[::2], args[1::2], strict=False)))
    flat = [item for pair in base.items() for item in pair]
    result = run_cli(
        "ipxe", *flat, "--system-uuid", UUID, env={"BEARMAN_SERVER": "", "BEARMAN_TOKEN": ""}
    )
    assert result.returncode == EXIT_USAGE
    assert result.stderr.count("\n") == 1
    assert message in result.stderr


def test_server_and_token_from_the_environment():
    port = closed_port()
    result = run_cli(
        "ipxe",
        "--retries",
        "0",
        "--system-uuid",
        UUID,
        env={"BEARMAN_SERVER": f"127.0.0.1:{port}", "BEARMAN_TOKEN": "t"},
    )
    assert result.returncode == EXIT_UNREACHABLE
    assert f"127.0.0.1:{port}" in error_line(result)


def test_bad_option_value_is_a_usage_error():
    result = run_cli("ipxe", "--timeout", "soon")
    assert result.returncode == EXIT_USAGE
    assert "not a number: 'soon'" in result.stderr


def test_single_call_without_a_uuid_on_a_machine_without_smbios(tmp_path):
    if Path("/sys/firmware/dmi/tables").exists():
        pytest.skip("this machine has SMBIOS, so it has a UUID")
    result = run_cli("ipxe", "--server", "127.0.0.1:1", "--token", "t")
    assert result.returncode == EXIT_STEP_FAILED
    assert "no system UUID" in error_line(result)


@pytest.mark.parametrize(
    "cmdline, message",
    [
        ("console=ttyS0 quiet", "no bearman.mode in"),
        ("bearman.mode=rescue bearman.server=127.0.0.1", "bearman.mode=rescue in"),
        ("bearman.server=x -- bearman.mode=register", "no bearman.mode in"),
    ],
)
def test_autorun_without_a_usable_mode_is_a_usage_error(tmp_path, cmdline, message):
    path = tmp_path / "cmdline"
    path.write_text(cmdline + "\n")
    result = run_cli("autorun", "--cmdline", str(path))
    assert result.returncode == EXIT_USAGE
    assert message in error_line(result)


def test_autorun_takes_server_and_token_from_the_kernel_command_line(tmp_path):
    port = closed_port()
    path = tmp_path / "cmdline"
    path.write_text(
        f"BOOT_IMAGE=/vmlinuz bearman.mode=deploy bearman.server=127.0.0.1:{port} "
        f'bearman.token="enroll-x" quiet\n'
    )
    result = run_cli(
        "autorun",
        "--cmdline",
        str(path),
        "--retries",
        "0",
        "--dry-run",
        "--system-uuid",
        UUID,
        env={"BEARMAN_SERVER": "", "BEARMAN_TOKEN": ""},
    )
    assert result.returncode == EXIT_UNREACHABLE
    assert f"GetProfile to 127.0.0.1:{port}" in error_line(result)


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert re.match(r"bearman-cli \d+\.\d+\.\d+", result.stdout)
