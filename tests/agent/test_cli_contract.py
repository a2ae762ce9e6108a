"""Contract tests: the real `bearman-cli` against a test double of Bearman's AgentService.

The peer (tests/agent/peer.py) speaks the generated bearman.v1 stubs on a real loopback port and
checks tokens as the .proto says; artifacts come over real HTTP. The end-to-end tests against the
real server (Node, Baremetal and Events in the database) are the lead's, once the server lands.
"""

from __future__ import annotations

import json
import shlex

import grpc
import pytest

from bearman_agent.errors import (
    EXIT_AUTH,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_STEP_FAILED,
    EXIT_TOOL_MISSING,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
)
from bearman_agent.wire.bearman.v1 import agent_pb2
from tests.agent.conftest import require_tool, run_cli
from tests.agent.peer import (
    AGENT_TOKEN,
    BMC_PASSWORD,
    ENROLLMENT_TOKEN,
    Fault,
    RecordingAgentService,
    serve,
)

UUID = "4c4c4544-0058-4b10-8034-b7c04f505732"
BMC_COMMANDS = [
    "ipmitool lan set 1 ipsrc static",
    "ipmitool lan set 1 ipaddr 10.20.0.57",
    "ipmitool lan set 1 netmask 255.255.255.0",
    "ipmitool lan set 1 defgw ipaddr 10.20.0.1",
    "ipmitool lan set 1 vlan id 120",
    "ipmitool user set name 3 bearman",
    "ipmitool user set password 3 '********'",
    "ipmitool user priv 3 4 1",
    "ipmitool user enable 3",
    "ipmitool channel setaccess 1 3 callin=on ipmi=on link=on privilege=4",
]
INSTALL_SCRIPT = """#!/bin/sh
set -e
env | grep '^BEARMAN_' | sort > "$(dirname "$0")/seen-environment"
echo "partitioning for $BEARMAN_HOSTNAME"
"""
FAILING_SCRIPT = """#!/bin/sh
echo "writing partition table" >&2
echo "mkfs.ext4: /dev/sda1 is apparently in use by the system" >&2
exit 3
"""


def cli(address, *args, token=ENROLLMENT_TOKEN):
    """Run bearman-cli against the peer, quick to give up."""
    return run_cli(
        *args,
        "--server",
        address,
        "--token",
        token,
        "--retries",
        "2",
        "--system-uuid",
        UUID,
        env={"BEARMAN_SERVER": "", "BEARMAN_TOKEN": ""},
    )


def would_run(result):
    """The commands a dry run printed."""
    prefix = "would run: "
    return [line[len(prefix) :] for line in result.stdout.splitlines() if line.startswith(prefix)]


def error_line(result):
    """The one error line."""
    return result.stderr.strip().splitlines()[-1]


@pytest.fixture
def deployable(peer, artifacts, tmp_path):
    """A peer with a pending kexec deployment whose artifacts are served over HTTP."""
    service, address = peer
    kernel_url, kernel_sha = artifacts.add("/images/noble/vmlinuz", b"kernel-bytes" * 1000)
    initrd_url, initrd_sha = artifacts.add("/images/noble/initrd.img", b"initrd-bytes" * 500)
    service.profile = agent_pb2.GetProfileResponse(
        profile_name="ubuntu-24.04",
        kernel=agent_pb2.Artifact(url=kernel_url, sha256=kernel_sha),
        initrd=agent_pb2.Artifact(url=initrd_url, sha256=initrd_sha),
        append="console=ttyS0,115200 ip=dhcp root=/dev/sda1",
        install_script=INSTALL_SCRIPT,
        boot_method=agent_pb2.BOOT_METHOD_KEXEC,
        agent_token=AGENT_TOKEN,
        hostname="compute-017",
    )
    workdir = tmp_path / "work"
    return service, address, workdir


# --- register ------------------------------------------------------------------------------


def test_register_dry_run_prints_the_ipmitool_commands_and_changes_nothing(peer):
    require_tool("ipmitool")
    service, address = peer
    result = cli(address, "register", "--dry-run", "--no-poweroff")
    assert result.returncode == EXIT_OK, result.stderr
    assert would_run(result) == BMC_COMMANDS
    assert BMC_PASSWORD not in result.stdout + result.stderr
    call = service.only("Register")
    assert call.token == ENROLLMENT_TOKEN
    assert call.request.facts.system_uuid == UUID
    assert call.request.facts.memory_bytes > 0
    assert call.request.facts.nics, "the NICs travel in the facts"
    assert call.request.agent_address == "127.0.0.1"
    assert call.request.agent_version == "0.1.0"
    assert service.methods() == ["Register"]


def test_register_dry_run_ends_with_poweroff_unless_told_not_to(peer):
    require_tool("ipmitool")
    require_tool("poweroff")
    _, address = peer
    result = cli(address, "register", "--dry-run")
    assert result.returncode == EXIT_OK, result.stderr
    assert would_run(result) == BMC_COMMANDS + ["poweroff"]


def test_register_json_masks_the_bmc_password(peer):
    require_tool("ipmitool")
    _, address = peer
    result = cli(address, "register", "--dry-run", "--no-poweroff", "--json")
    assert result.returncode == EXIT_OK, result.stderr
    report = json.loads(result.stdout)
    assert report["node_uuid"] == UUID
    assert report["bmc"]["address"] == "10.20.0.57"
    assert report["bmc"]["password"] == "********"
    assert report["commands"] == BMC_COMMANDS
    assert report["dry_run"] is True


def test_register_long_password_uses_the_ipmi_v2_size(peer):
    require_tool("ipmitool")
    service, address = peer
    service.bmc.password = "a-twenty-char-passwd"
    result = cli(address, "register", "--dry-run", "--no-poweroff")
    assert "ipmitool user set password 3 '********' 20" in would_run(result)


def test_register_untagged_bmc_without_gateway(peer):
    require_tool("ipmitool")
    service, address = peer
    service.bmc.vlan = 0
    service.bmc.gateway = ""
    service.bmc.netmask = ""
    service.bmc.prefix_length = 22
    commands = would_run(cli(address, "register", "--dry-run", "--no-poweroff"))
    assert "ipmitool lan set 1 netmask 255.255.252.0" in commands
    assert "ipmitool lan set 1 vlan id off" in commands
    assert not any("defgw" in command for command in commands)


def test_register_with_unusable_bmc_settings_reports_failure(peer):
    require_tool("ipmitool")
    service, address = peer
    service.bmc.address = "10.20.0.300"
    result = cli(address, "register", "--dry-run", "--no-poweroff")
    assert result.returncode == EXIT_REFUSED
    assert "unusable BMC settings: address '10.20.0.300' is not an IPv4 address" in error_line(
        result
    )
    assert would_run(result) == []
    failure = service.only("ReportFailed").request
    assert failure.phase == "register"
    assert "10.20.0.300" in failure.message


def test_register_without_ipmitool_reports_the_missing_tool(peer, path_without):
    service, address = peer
    result = run_cli(
        "register",
        "--dry-run",
        "--server",
        address,
        "--token",
        ENROLLMENT_TOKEN,
        "--system-uuid",
        UUID,
        env={"PATH": path_without("ipmitool")},
    )
    assert result.returncode == EXIT_TOOL_MISSING
    assert error_line(result) == ("bearman-cli: error: required tool not found on PATH: ipmitool")
    assert "Register" not in service.methods()
    failure = service.only("ReportFailed").request
    assert (failure.system_uuid, failure.phase) == (UUID, "register")
    assert failure.message == "required tool not found on PATH: ipmitool"
    assert failure.agent_address == "127.0.0.1"


def test_register_with_a_wrong_token_is_an_auth_error(peer):
    require_tool("ipmitool")
    service, address = peer
    result = cli(address, "register", "--dry-run", "--no-poweroff", token="stolen")
    assert result.returncode == EXIT_AUTH
    assert "token rejected: UNAUTHENTICATED: unknown token" in error_line(result)
    assert service.methods() == ["Register", "ReportFailed"], "no retry of UNAUTHENTICATED"
    assert "could not report the failure" in result.stderr


# --- deploy --------------------------------------------------------------------------------


def test_deploy_dry_run_walks_the_flow_and_prints_kexec(deployable, artifacts):
    require_tool("kexec")
    service, address, workdir = deployable
    result = cli(address, "deploy", "--dry-run", "--workdir", str(workdir))
    assert result.returncode == EXIT_OK, result.stderr
    assert service.methods() == ["GetProfile", "GetDetail", "ReportInstalled"]
    assert [call.token for call in service.calls] == [ENROLLMENT_TOKEN, AGENT_TOKEN, AGENT_TOKEN]
    assert would_run(result) == [
        shlex.join(
            [
                "kexec",
                "-l",
                str(workdir / "kernel"),
                f"--initrd={workdir / 'initrd'}",
                "--append=console=ttyS0,115200 ip=dhcp root=/dev/sda1",
            ]
        ),
        "kexec -e",
    ]
    assert (workdir / "kernel").read_bytes() == artifacts.files["/images/noble/vmlinuz"]
    assert (workdir / "initrd").read_bytes() == artifacts.files["/images/noble/initrd.img"]
    assert "partitioning for compute-017" in result.stderr


def test_deploy_exports_the_detail_to_the_install_script(deployable):
    require_tool("kexec")
    _, address, workdir = deployable
    assert cli(address, "deploy", "--dry-run", "--workdir", str(workdir)).returncode == EXIT_OK
    lines = (workdir / "seen-environment").read_text().splitlines()
    seen = dict(line.split("=", 1) for line in lines)
    assert seen["BEARMAN_HOSTNAME"] == "compute-017"
    assert seen["BEARMAN_SYSTEM_UUID"] == UUID
    assert seen["BEARMAN_DNS_SERVERS"] == "10.0.0.53 10.0.1.53"
    assert seen["BEARMAN_BOND_MODE"] == "802.3ad"
    assert seen["BEARMAN_BOND_MEMBERS"] == "eno1 eno2"
    assert seen["BEARMAN_ADDRESS_COUNT"] == "2"
    assert seen["BEARMAN_ADDRESS_1_INTERFACE"] == "bond0.200"
    assert seen["BEARMAN_ADDRESS_1_PREFIX_LENGTH"] == "22"
    assert seen["BEARMAN_KERNEL"] == str(workdir / "kernel")
    assert json.loads(seen["BEARMAN_DETAIL_JSON"])["hostname"] == "compute-017"
    assert AGENT_TOKEN not in "".join(lines), "the agent token stays with the agent"


def test_deploy_failing_install_script_reports_its_error(deployable):
    require_tool("kexec")
    service, address, workdir = deployable
    service.profile.install_script = FAILING_SCRIPT
    result = cli(address, "deploy", "--dry-run", "--workdir", str(workdir))
    assert result.returncode == EXIT_STEP_FAILED
    assert error_line(result).startswith("bearman-cli: error: install script exited with status 3")
    assert service.methods() == ["GetProfile", "GetDetail", "ReportFailed"]
    failure = service.only("ReportFailed")
    assert failure.token == AGENT_TOKEN
    assert failure.request.phase == "deploy"
    assert failure.request.agent_address == "127.0.0.1"
    assert "mkfs.ext4: /dev/sda1 is apparently in use by the system" in failure.request.message
    assert would_run(result) == [], "no kexec after a failure"


def test_deploy_checksum_mismatch_reports_failure(deployable):
    require_tool("kexec")
    service, address, workdir = deployable
    service.profile.initrd.sha256 = "0" * 64
    result = cli(address, "deploy", "--dry-run", "--workdir", str(workdir))
    assert result.returncode == EXIT_STEP_FAILED
    assert "sha256 mismatch for http://127.0.0.1:" in error_line(result)
    assert "sha256 mismatch" in service.only("ReportFailed").request.message
    assert not (workdir / "seen-environment").exists(), "the script never ran"


def test_deploy_retries_a_download_the_server_failed(deployable, artifacts):
    require_tool("kexec")
    service, address, workdir = deployable
    artifacts.failures["/images/noble/vmlinuz"] = [503]
    result = cli(address, "deploy", "--dry-run", "--workdir", str(workdir))
    assert result.returncode == EXIT_OK, result.stderr
    assert artifacts.requests.count("/images/noble/vmlinuz") == 2
    assert "HTTP 503" in result.stderr


def test_deploy_does_not_retry_a_missing_artifact(deployable, artifacts):
    require_tool("kexec")
    service, address, workdir = deployable
    service.profile.kernel.url = artifacts.base_url + "/images/gone/vmlinuz"
    result = cli(address, "deploy", "--dry-run", "--workdir", str(workdir))
    assert result.returncode == EXIT_STEP_FAILED
    assert "HTTP 404" in error_line(result)
    assert artifacts.requests.count("/images/gone/vmlinuz") == 1


def test_deploy_ipxe_boot_method_reboots_without_downloading(deployable, artifacts):
    require_tool("reboot")
    service, address, workdir = deployable
    service.profile.boot_method = agent_pb2.BOOT_METHOD_IPXE
    result = cli(address, "deploy", "--dry-run", "--workdir", str(workdir))
    assert result.returncode == EXIT_OK, result.stderr
    assert would_run(result) == ["reboot"]
    assert artifacts.requests == []
    assert service.methods() == ["GetProfile", "GetDetail", "ReportInstalled"]


def test_deploy_with_nothing_to_deploy_is_refused(peer):
    service, address = peer
    service.fail("GetProfile", Fault(grpc.StatusCode.FAILED_PRECONDITION, "no pending deployment"))
    result = cli(address, "deploy", "--dry-run")
    assert result.returncode == EXIT_REFUSED
    assert error_line(result) == (
        f"bearman-cli: error: GetProfile to {address}: FAILED_PRECONDITION: no pending deployment"
    )
    assert service.methods() == ["GetProfile", "ReportFailed"]


def test_deploy_json_masks_the_agent_token(deployable):
    require_tool("kexec")
    _, address, workdir = deployable
    result = cli(address, "deploy", "--dry-run", "--json", "--workdir", str(workdir))
    assert result.returncode == EXIT_OK, result.stderr
    report = json.loads(result.stdout)
    assert report["profile"]["agent_token"] == "********"
    assert report["detail"]["hostname"] == "compute-017"
    assert report["commands"][-1] == "kexec -e"


def test_autorun_deploys_as_the_kernel_command_line_says(deployable, tmp_path):
    require_tool("kexec")
    service, address, workdir = deployable
    cmdline = tmp_path / "cmdline"
    cmdline.write_text(
        f"quiet bearman.mode=deploy bearman.server={address} bearman.token={ENROLLMENT_TOKEN}\n"
    )
    result = run_cli(
        "autorun",
        "--cmdline",
        str(cmdline),
        "--dry-run",
        "--system-uuid",
        UUID,
        "--workdir",
        str(workdir),
        env={"BEARMAN_SERVER": "", "BEARMAN_TOKEN": ""},
    )
    assert result.returncode == EXIT_OK, result.stderr
    assert service.methods() == ["GetProfile", "GetDetail", "ReportInstalled"]
    assert would_run(result)[-1] == "kexec -e"


# --- retries and errors --------------------------------------------------------------------


def test_retries_on_unavailable_then_succeeds(peer):
    service, address = peer
    service.fail(
        "GetIpxe",
        Fault(grpc.StatusCode.UNAVAILABLE, "database down"),
        Fault(grpc.StatusCode.UNAVAILABLE, "database down"),
    )
    result = cli(address, "ipxe")
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stdout.startswith("#!ipxe")
    assert service.methods() == ["GetIpxe"] * 3
    assert result.stderr.count("UNAVAILABLE: database down; retrying") == 2


def test_retries_on_deadline_exceeded(peer):
    service, address = peer
    service.fail("GetIpxe", Fault(delay=2.5))
    result = run_cli(
        "ipxe",
        "--server",
        address,
        "--token",
        ENROLLMENT_TOKEN,
        "--timeout",
        "1.0",
        "--system-uuid",
        UUID,
    )
    assert result.returncode == EXIT_OK, result.stderr
    assert "DEADLINE_EXCEEDED" in result.stderr
    assert service.methods() == ["GetIpxe"] * 2


def test_gives_up_after_the_retries(peer):
    service, address = peer
    service.fail("GetIpxe", *[Fault(grpc.StatusCode.UNAVAILABLE, "database down")] * 5)
    result = cli(address, "ipxe")
    assert result.returncode == 3
    assert "server unreachable after 3 attempt(s): UNAVAILABLE: database down" in error_line(result)
    assert service.methods() == ["GetIpxe"] * 3


@pytest.mark.parametrize(
    "code, exit_code",
    [
        (grpc.StatusCode.PERMISSION_DENIED, EXIT_AUTH),
        (grpc.StatusCode.UNAUTHENTICATED, EXIT_AUTH),
        (grpc.StatusCode.INVALID_ARGUMENT, EXIT_REFUSED),
        (grpc.StatusCode.NOT_FOUND, EXIT_REFUSED),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, EXIT_REFUSED),
    ],
)
def test_no_retry_on_other_codes(peer, code, exit_code):
    service, address = peer
    service.fail("GetIpxe", Fault(code, "said no"))
    result = cli(address, "ipxe")
    assert result.returncode == exit_code
    assert f"{code.name}: said no" in error_line(result)
    assert service.methods() == ["GetIpxe"], "asked once"


def test_agent_token_cannot_register(peer):
    require_tool("ipmitool")
    _, address = peer
    result = cli(address, "register", "--dry-run", "--no-poweroff", token=AGENT_TOKEN)
    assert result.returncode == EXIT_AUTH
    assert "PERMISSION_DENIED: this token may not call Register" in error_line(result)


# --- the single calls ----------------------------------------------------------------------


def test_profile_prints_the_agent_token_handed_out_once(deployable):
    _, address, _ = deployable
    result = cli(address, "profile", "--json")
    assert result.returncode == EXIT_OK, result.stderr
    profile = json.loads(result.stdout)
    assert profile["agent_token"] == AGENT_TOKEN
    assert profile["boot_method"] == "BOOT_METHOD_KEXEC"


def test_detail_and_installed_with_the_agent_token(peer):
    service, address = peer
    detail = cli(address, "detail", token=AGENT_TOKEN)
    assert detail.returncode == EXIT_OK, detail.stderr
    assert "hostname: compute-017" in detail.stdout
    assert "addresses.1.address: 10.40.4.17" in detail.stdout
    installed = cli(address, "installed", token=AGENT_TOKEN)
    assert installed.returncode == EXIT_OK
    assert installed.stdout.strip() == f"reported {UUID} INSTALLED"
    assert service.only("ReportInstalled").request.system_uuid == UUID


def test_failed_reports_the_message_and_this_machine(peer):
    service, address = peer
    result = cli(address, "failed", "disk 2 missing", "--phase", "register")
    assert result.returncode == EXIT_OK, result.stderr
    failure = service.only("ReportFailed").request
    assert (failure.message, failure.phase, failure.agent_address) == (
        "disk 2 missing",
        "register",
        "127.0.0.1",
    )


# --- TLS -----------------------------------------------------------------------------------


@pytest.fixture
def tls_peer(tmp_path):
    """The peer behind TLS with a self-signed certificate for 127.0.0.1: (service, address, CA)."""
    key_pem, cert_pem = _self_signed_for_loopback()
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(cert_pem)
    service = RecordingAgentService()
    server, address = serve(service, grpc.ssl_server_credentials([(key_pem, cert_pem)]))
    yield service, address, ca_file
    server.stop(grace=None)


def _self_signed_for_loopback():
    """(key PEM, certificate PEM) valid for the IP address 127.0.0.1."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bearman-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def test_tls_with_the_servers_ca(tls_peer):
    service, address, ca_file = tls_peer
    result = cli(address, "ipxe", "--ca-file", str(ca_file))
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stdout.startswith("#!ipxe")
    assert service.only("GetIpxe").token == ENROLLMENT_TOKEN


def test_tls_server_is_not_trusted_without_its_ca(tls_peer):
    service, address, _ = tls_peer
    result = cli(address, "ipxe", "--tls", "--retries", "0")
    assert result.returncode == EXIT_UNREACHABLE
    assert service.calls == [], "the token never left the agent"


def test_missing_ca_file_is_a_usage_error(tmp_path):
    result = cli("127.0.0.1:1", "ipxe", "--ca-file", str(tmp_path / "absent.pem"))
    assert result.returncode == EXIT_USAGE
    assert "cannot read CA file" in error_line(result)


def test_autorun_registers_as_the_kernel_command_line_says(peer, tmp_path):
    require_tool("ipmitool")
    service, address = peer
    cmdline = tmp_path / "cmdline"
    cmdline.write_text(
        f"bearman.mode=register bearman.server={address} bearman.token={ENROLLMENT_TOKEN}\n"
    )
    result = run_cli(
        "autorun",
        "--cmdline",
        str(cmdline),
        "--dry-run",
        "--no-poweroff",
        "--system-uuid",
        UUID,
        env={"BEARMAN_SERVER": "", "BEARMAN_TOKEN": ""},
    )
    assert result.returncode == EXIT_OK, result.stderr
    assert service.methods() == ["Register"]
    assert would_run(result) == BMC_COMMANDS
