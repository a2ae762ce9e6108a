"""The whole loop on a real (virtual) machine, with zero hands: QEMU's iPXE ROM fetches
Bearman's scripts, the first-stage image registers and configures its ipmi_sim BMC in-band,
Bearman's worker checks that BMC over IPMI LAN, an operator deploys from the admin, and the
machine boots the profile's kernel by kexec."""

import subprocess
import time

import pytest
from django.urls import reverse

from bearman.crypto import decrypt_secret
from bearman.models import Baremetal, Event, Node
from bearman.states import DeployStatus, NodeStatus
from lab.follow import lab_vm_nodes
from lab.qemu import BEARMAN_GUEST_ADDRESS, Forwards, choose_accel
from lab.second_stage import MARK
from lab.setup import vm_lab_prepare
from lab.vms import VmLab
from tests.bearman.grpc.conftest import ENROLLMENT, start_server, stop_server
from tests.bearman.power.worker import celery_worker, shared_broker

from .conftest import loopback_network

pytestmark = pytest.mark.django_db(transaction=True)
GUEST_URL = f"http://{BEARMAN_GUEST_ADDRESS}:8000"


def wait_until(condition, seconds: float, what: str, lab: VmLab) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(1)
    console = lab.vms[0].console_text()[-3000:]
    raise AssertionError(f"not within {seconds} s: {what}\n--- console ---\n{console}")


def bmc_power_status(node: Node) -> str:
    """Ask the BMC the agent configured, at its new address, as Bearman's user, with ipmitool."""
    result = subprocess.run(
        ["ipmitool", "-I", "lanplus", "-C", "3", "-H", node.bmc_address, "-U", node.bmc_username,
         "-P", decrypt_secret(node.bmc_password_encrypted), "chassis", "power", "status"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return result.stdout.strip() or result.stderr.strip()


def test_a_vm_registers_becomes_ready_and_deploys_through_kexec(
    admin_client, live_server, settings, tmp_path, first_stage_dir, bmc_port_623
):
    # What the guest sees of Bearman is its user network's forward, not the live server.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, BEARMAN_GUEST_ADDRESS, "localhost"]
    settings.BEARMAN_PUBLIC_URL = GUEST_URL
    settings.BEARMAN_IPXE_RENDER_DIR = str(tmp_path / "ipxe")
    settings.BEARMAN_ENROLLMENT_TOKEN = ENROLLMENT
    settings.MEDIA_ROOT = str(tmp_path / "media")
    flavor = vm_lab_prepare(first_stage_dir=first_stage_dir, ipmi_network=loopback_network())
    with shared_broker(tmp_path) as broker_env:
        env = {
            **broker_env,
            "BEARMAN_BMC_CHECK_DELAY_SECONDS": "3",
            "BEARMAN_PUBLIC_URL": GUEST_URL,
            "BEARMAN_IPXE_RENDER_DIR": settings.BEARMAN_IPXE_RENDER_DIR,
        }
        grpc_process, grpc_target = start_server(env)
        port = int(live_server.url.rsplit(":", 1)[1])
        forwards = Forwards(http_port=port, grpc_port=int(grpc_target.rsplit(":", 1)[1]))
        lab = VmLab(
            root=tmp_path / "vms",
            count=1,
            forwards=forwards,
            accel=choose_accel(first_stage_dir / "vmlinuz", cache=first_stage_dir / "accel"),
        )
        vm = lab.vms[0]
        try:
            with celery_worker(env, log=tmp_path / "worker.log"):
                lab.start()
                lab.power_on()
                wait_until(
                    lambda: lab_vm_nodes(lab).filter(status=NodeStatus.READY).exists(),
                    300,
                    "the VM's node READY",
                    lab,
                )
                node = Node.objects.get(uuid=vm.spec.uuid)
                assert node.serial == vm.spec.serial
                assert node.availability_zone == "vm-lab"
                assert vm.bmc_address() == node.bmc_address, "the agent set it in-band"
                wait_until(lambda: not lab.is_running(vm), 120, "the VM powered off", lab)
                assert bmc_power_status(node) == "Chassis Power is off"
                events = list(node.events.order_by("pk").values_list("kind", "message"))
                assert events[0][0] == "registered" and "10.0.2.15" in events[0][1]
                assert any("answered: ready" in message for _, message in events)

                Node.objects.filter(pk=node.pk).update(flavor=flavor)
                response = admin_client.post(
                    reverse("admin:bearman_node_changelist"),
                    {"action": "deploy_default_profile", "_selected_action": [node.pk]},
                    follow=True,
                )
                assert "1 Baremetal(s) started" in response.content.decode()
                wait_until(
                    lambda: Baremetal.objects.filter(status=DeployStatus.INSTALLED).exists(),
                    300,
                    "the deployment INSTALLED",
                    lab,
                )
                baremetal = Baremetal.objects.get(node=node)
                wait_until(
                    lambda: f"{MARK} {baremetal.hostname} is up" in vm.console_text(),
                    120,
                    "the second stage's console line",
                    lab,
                )
        finally:
            lab.stop()
            stop_server(grpc_process)
    console = vm.console_text()
    assert f"{GUEST_URL}/ipxe/boot.ipxe" in console, "the iPXE ROM took Bearman's boot file"
    assert "bearman.mode=register" in console and "bearman.mode=deploy" in console
    assert "running: ipmitool user set password 3 '********'" in console, "no password shown"
    assert decrypt_secret(node.bmc_password_encrypted) not in console
    hostname = Baremetal.objects.get(node=node).hostname
    for artifact in ("vm-lab-vmlinuz", "vm-lab-second-stage.img"):
        assert f"downloaded {GUEST_URL}/artifacts/{artifact}" in console
    assert f"vm-lab: installing vm-lab-os as {hostname}" in console, "the install script ran"
    assert "kexec-load" not in console, "the image must not kexec on a reboot of its own"
    messages = list(Event.objects.filter(node=node).values_list("message", flat=True))
    # The deploy powers the machine up over IPMI: a cycle when its last known state is on
    # (the BMC check saw the agent running), an on otherwise.
    assert any(m.startswith(("Power on succeeded", "Power cycle succeeded")) for m in messages)
    assert any("Deploy start → Deploying" in message for message in messages)
    assert any("→ Installed" in message for message in messages)
