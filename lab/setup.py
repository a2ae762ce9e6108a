"""What the VM lab needs in Bearman: its networks, the first stage, an OS and a flavor."""

from pathlib import Path

from django.conf import settings
from django.db import transaction

from bearman.models import BootArtifact, Flavor, Profile
from bearman.services import artifact_store, profile_save
from bearman.services.catalog import artifact_path
from bearman.services.first_stage import KERNEL_ARTIFACT, first_stage_install
from ipman.models import Pool
from ipman.services import pool_create

from .second_stage import second_stage_initrd

ZONE = "vm-lab"
# Every guest's user-mode network is 10.0.2.0/24 and the agent reports its address there.
PROVISIONING = ("vm-lab-provisioning", "10.0.2.0/24", "provisioning")
# BMC addresses are loopback ones: the lab makes each answer for its VM's ipmi_sim.
IPMI_NETWORK = "127.3.0.0/24"
SERVICE = ("vm-lab-service", "127.4.0.0/24", "service")
PROFILE, FLAVOR = "vm-lab-os", "vm-lab"
KERNEL, INITRD = "vm-lab-vmlinuz", "vm-lab-second-stage.img"
INSTALL_SCRIPT = """#!/bin/sh
set -e
echo "vm-lab: installing $BEARMAN_PROFILE as $BEARMAN_HOSTNAME"
test -s "$BEARMAN_KERNEL" && test -s "$BEARMAN_INITRD"
"""


def vm_lab_prepare(*, first_stage_dir: Path, ipmi_network: str = IPMI_NETWORK) -> Flavor:
    """Pools, the first stage (no LLDP wait: nothing speaks LLDP to a VM), the second stage."""
    first_stage_install(
        directory=first_stage_dir, token=settings.BEARMAN_ENROLLMENT_TOKEN, lldp_wait=0
    )
    with transaction.atomic():
        ipmi = ("vm-lab-ipmi", ipmi_network, "ipmi")
        for name, network, purpose in (PROVISIONING, ipmi, SERVICE):
            if not Pool.objects.filter(name=name).exists():
                pool_create(name=name, network=network, purpose=purpose, availability_zone=ZONE)
        with artifact_path(KERNEL_ARTIFACT).open("rb") as kernel:
            artifact_store(name=KERNEL, chunks=iter(lambda: kernel.read(1 << 20), b""))
        artifact_store(name=INITRD, chunks=[second_stage_initrd()])
        profile = Profile.objects.filter(name=PROFILE).first() or Profile(name=PROFILE)
        profile.kernel_artifact = BootArtifact.objects.get(name=KERNEL)
        profile.initrd_artifact = BootArtifact.objects.get(name=INITRD)
        profile.append = "console=ttyS0,115200n8 hostname={hostname}"
        profile.install_script = INSTALL_SCRIPT
        profile.full_clean()
        profile_save(profile=profile, actor="lab")
        flavor, _ = Flavor.objects.update_or_create(
            name=FLAVOR,
            defaults={
                "default_profile": profile,
                "service_pools": [SERVICE[0]],
                "description": "Bearman VM lab guests",
            },
        )
    return flavor
