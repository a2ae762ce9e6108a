"""The real `bearman-cli` against the real gRPC server: the database shows what happened."""

import shlex

import pytest

from bearman.models import Baremetal, EventKind, Node
from bearman.services import baremetal_create
from bearman.states import DeployStatus
from bearman_agent.errors import EXIT_AUTH, EXIT_OK, EXIT_STEP_FAILED, EXIT_UNREACHABLE
from tests.agent.conftest import run_cli
from tests.factories import ProfileFactory

from .conftest import ENROLLMENT, free_port

pytestmark = pytest.mark.django_db(transaction=True)
UUID = "5c8cb744-ca92-494a-a38d-ebeeb587d14d"


@pytest.fixture(autouse=True)
def _agents_on_loopback(transactional_db):
    """The agent reports from 127.0.0.1 here: that is zone az1's provisioning network."""
    from .pools import make_pool

    make_pool(name="prov-loopback", network="127.0.0.0/24", purpose="provisioning", zone="az1")


def cli(grpc_target, *args, token=ENROLLMENT):
    return run_cli(
        *args,
        "--server",
        grpc_target,
        "--token",
        token,
        "--system-uuid",
        UUID,
        "--retries",
        "0",
        timeout=120,
    )


def test_register_dry_run_creates_the_node_and_prints_the_bmc_commands(grpc_target, ipmi_pool):
    result = cli(grpc_target, "register", "--dry-run", "--no-poweroff", "--lldp-wait", "0")
    assert result.returncode == EXIT_OK, result.stderr
    node = Node.objects.get(uuid=UUID)
    assert node.bmc_address == "10.20.0.2"
    assert "would run: ipmitool lan set 1 ipaddr 10.20.0.2" in result.stdout
    assert "ipmitool lan set 1 vlan id 120" in result.stdout
    assert "ipmitool user set name 3 bearman" in result.stdout
    assert node.events.filter(kind=EventKind.REGISTERED).exists()


def registered_baremetal(grpc_target, artifacts, script: str):
    assert (
        cli(grpc_target, "register", "--dry-run", "--no-poweroff", "--lldp-wait", "0").returncode
        == EXIT_OK
    )
    kernel_url, kernel_sha = artifacts.add("/noble/vmlinuz", b"kernel " * 1000)
    initrd_url, initrd_sha = artifacts.add("/noble/initrd", b"initrd " * 1000)
    profile = ProfileFactory(
        kernel_url=kernel_url,
        kernel_sha256=kernel_sha,
        initrd_url=initrd_url,
        initrd_sha256=initrd_sha,
        append="console=ttyS0 id={uuid}",
        install_script=script,
    )
    return baremetal_create(
        node=Node.objects.get(uuid=UUID),
        profile=profile,
        hostname="web01.example.test",
        actor="alice",
    )


def test_deploy_dry_run_reaches_installed_and_prints_kexec(grpc_target, ipmi_pool, artifacts):
    script = "#!/bin/sh\nset -e\necho installing $BEARMAN_HOSTNAME\n"
    registered_baremetal(grpc_target, artifacts, script)
    result = cli(grpc_target, "deploy", "--dry-run")
    assert result.returncode == EXIT_OK, result.stderr
    assert Baremetal.objects.get().status == DeployStatus.INSTALLED
    printed = [line.removeprefix("would run: ") for line in result.stdout.splitlines()]
    kexec = next(line for line in printed if line.startswith("kexec -l"))
    words = shlex.split(kexec)
    assert words[2].endswith("kernel") and any(w.startswith("--initrd=") for w in words)
    assert f"--append=console=ttyS0 id={UUID}" in words


def test_a_failing_install_script_ends_unrecoverable_with_its_error(
    grpc_target, ipmi_pool, artifacts
):
    script = "#!/bin/sh\necho 'disk /dev/sdz not found' >&2\nexit 3\n"
    registered_baremetal(grpc_target, artifacts, script)
    result = cli(grpc_target, "deploy", "--dry-run")
    assert result.returncode == EXIT_STEP_FAILED
    baremetal = Baremetal.objects.get()
    assert baremetal.status == DeployStatus.UNRECOVERABLE_ERROR
    failure = baremetal.node.events.get(kind=EventKind.FAILURE)
    assert "disk /dev/sdz not found" in failure.message


def test_a_wrong_token_is_a_one_line_error_and_exit_code_4(grpc_target, ipmi_pool):
    result = cli(
        grpc_target,
        "register",
        "--dry-run",
        "--no-poweroff",
        "--lldp-wait",
        "0",
        token="not-the-enrollment-token",
    )
    assert result.returncode == EXIT_AUTH
    (error,) = [line for line in result.stderr.splitlines() if "error:" in line]
    assert "UNAUTHENTICATED" in error and "enrollment token is wrong" in error
    assert not Node.objects.exists()


def test_an_unreachable_server_is_a_one_line_error_and_exit_code_3(db):
    result = run_cli(
        "ipxe",
        "--server",
        f"127.0.0.1:{free_port()}",
        "--token",
        ENROLLMENT,
        "--system-uuid",
        UUID,
        "--retries",
        "0",
        "--timeout",
        "2",
    )
    assert result.returncode == EXIT_UNREACHABLE
    (error,) = [line for line in result.stderr.splitlines() if "error:" in line]
    assert "unreachable" in error or "UNAVAILABLE" in error
