"""Every kind of script Bearman serves, fetched and run by the real iPXE ROM in QEMU (Debian's
ipxe-qemu), for a MAC with and without zero bytes: what the firmware sends is what Bearman
must read, not what our own tests assume it sends."""

import subprocess
import time
import uuid

import pytest
from django.db import connection

from bearman.models import BootArtifact
from bearman.services.first_stage import first_stage_install
from bearman.states import DeployStatus, NodeStatus
from lab.qemu import BEARMAN_GUEST_ADDRESS, Forwards, VmSpec, prepare_vm_files, qemu_command
from lab.second_stage import MARK
from lab.setup import INITRD, KERNEL, vm_lab_prepare
from tests.factories import BaremetalFactory, NodeFactory, ProfileFactory

pytestmark = pytest.mark.django_db(transaction=True)
MAC_WITHOUT_ZERO = "52:54:11:22:33:44"
MAC_WITH_ZERO = "52:54:00:00:ab:01"  # :uristring cut this one at its first zero byte


class BootingVm:
    """A QEMU machine with no BMC, powered on at once, and its serial console."""

    def __init__(self, spec: VmSpec, process: subprocess.Popen):
        self.spec, self.process = spec, process

    def wait_for(self, expect: str, seconds: float = 90) -> str:
        deadline, text = time.monotonic() + seconds, ""
        while time.monotonic() < deadline:
            text = self.spec.console_text()
            if expect in text:
                return text
            time.sleep(0.5)
        raise AssertionError(f"{expect!r} not on the console within {seconds} s:\n{text[-2000:]}")


@pytest.fixture
def power_on(live_server, settings, tmp_path, first_stage_dir):
    """Start a VM of a given UUID and MAC that network-boots from the live server."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, BEARMAN_GUEST_ADDRESS]
    settings.BEARMAN_PUBLIC_URL = ""  # scripts from the Host header the firmware sends
    settings.MEDIA_ROOT = str(tmp_path / "media")
    first_stage_install(directory=first_stage_dir, token=None)
    forwards = Forwards(http_port=int(live_server.url.rsplit(":", 1)[1]), grpc_port=9)
    started: list[subprocess.Popen] = []

    def start(system_uuid: str, mac: str) -> BootingVm:
        directory = tmp_path / f"vm-{len(started)}"
        directory.mkdir()
        spec = VmSpec(system_uuid, system_uuid, "IPXETEST", mac, directory, kcs_port=9)
        prepare_vm_files(spec)
        command = qemu_command(spec, forwards, "tcg", bmc=False)
        started.append(subprocess.Popen(command, stderr=subprocess.DEVNULL))
        return BootingVm(spec, started[-1])

    yield start
    for process in started:
        process.kill()
        process.wait()


@pytest.fixture
def boot(power_on):
    """Power on and return the console once `expect` is on it."""
    return lambda system_uuid, mac, expect: power_on(system_uuid, mac).wait_for(expect)


def kernel_command_line(console: str) -> str:
    return next(line for line in console.splitlines() if "Command line:" in line)


@pytest.mark.parametrize("mac", [MAC_WITHOUT_ZERO, MAC_WITH_ZERO])
def test_an_unknown_machine_boots_the_first_stage_to_register(boot, mac, caplog):
    machine = str(uuid.uuid4())
    console = boot(machine, mac, "Command line:")
    assert f"Bearman: registering {machine}" in console
    line = kernel_command_line(console)
    assert "bearman.mode=register" in line and f"bearman.uuid={machine}" in line
    assert not [r for r in caplog.records if "unreadable mac" in r.getMessage()]


@pytest.mark.parametrize("mac", [MAC_WITHOUT_ZERO, MAC_WITH_ZERO])
def test_a_pending_deployment_boots_the_first_stage_to_deploy(boot, mac):
    baremetal = BaremetalFactory(node=NodeFactory(status=NodeStatus.READY))
    console = boot(baremetal.node.uuid, mac, "Command line:")
    assert f"Bearman: deploying {baremetal.profile.name}" in console
    assert "bearman.mode=deploy" in kernel_command_line(console)


def test_a_direct_boot_profile_boots_its_own_kernel_straight_from_ipxe(boot, first_stage_dir):
    vm_lab_prepare(first_stage_dir=first_stage_dir)  # its kernel and busybox initrd
    profile = ProfileFactory(
        boot_method="ipxe",
        kernel_url="",
        kernel_artifact=BootArtifact.objects.get(name=KERNEL),
        initrd_url="",
        initrd_artifact=BootArtifact.objects.get(name=INITRD),
        append="console=ttyS0 hostname={hostname}",
    )
    baremetal = BaremetalFactory(profile=profile, hostname="direct01")
    console = boot(baremetal.node.uuid, MAC_WITH_ZERO, f"{MARK} direct01 is up")
    assert "bearman.mode" not in kernel_command_line(console)


def test_a_node_with_nothing_to_do_leaves_ipxe_for_its_disk(boot):
    baremetal = BaremetalFactory(status=DeployStatus.INSTALLED)
    console = boot(baremetal.node.uuid, MAC_WITHOUT_ZERO, "Booting from Hard Disk")
    assert f"Bearman: {baremetal.node.uuid} boots from its local disk" in console


def test_while_the_database_is_away_the_machine_retries_and_then_boots(power_on, caplog):
    machine = str(uuid.uuid4())
    with connection.cursor() as cursor:  # every query of a node now fails
        cursor.execute("ALTER TABLE bearman_node RENAME TO bearman_node_away")
    try:
        vm = power_on(machine, MAC_WITH_ZERO)
        console = vm.wait_for("trying again in 10 seconds")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE bearman_node_away RENAME TO bearman_node")
    assert "Bearman: registering" not in console
    vm.wait_for(f"Bearman: registering {machine}", seconds=60)
    [logged] = {r.getMessage() for r in caplog.records if "database is down" in r.getMessage()}
    assert f"{machine} (mac {MAC_WITH_ZERO})" in logged, "the MAC arrived written out"
