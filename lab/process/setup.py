"""What a lab needs in Bearman: its networks, an OS to deploy and a flavor to deploy it by."""

import hashlib

from django.db import transaction

from bearman.models import BootArtifact, Flavor, Node, Profile
from bearman.services import artifact_store, profile_save
from bearman.services.nodes import node_delete
from ipman.models import Pool
from ipman.services import pool_create

ZONE = "lab"
POOLS = (
    # Agents run on this machine and report a loopback address: that is the lab's network.
    ("lab-provisioning", "127.0.0.0/24", "provisioning"),
    ("lab-ipmi", "127.1.0.0/16", "ipmi"),
    ("lab-service", "127.2.0.0/16", "service"),
)
INSTALL_SCRIPT = '#!/bin/sh\nset -e\necho "lab: installing $BEARMAN_HOSTNAME"\n'


def lab_prepare() -> Flavor:
    """Create (once) the lab's pools, artifacts, profile and flavor."""
    with transaction.atomic():
        for name, network, purpose in POOLS:
            if not Pool.objects.filter(name=name).exists():
                pool_create(name=name, network=network, purpose=purpose, availability_zone=ZONE)
        for name in ("lab-vmlinuz", "lab-initrd"):
            if not BootArtifact.objects.filter(name=name).exists():
                # Stand-in bytes: the lab's kexec only records what it was given.
                artifact_store(name=name, chunks=[hashlib.sha256(name.encode()).digest() * 4096])
        profile = Profile.objects.filter(name="lab-os").first() or Profile(name="lab-os")
        profile.kernel_artifact = BootArtifact.objects.get(name="lab-vmlinuz")
        profile.initrd_artifact = BootArtifact.objects.get(name="lab-initrd")
        profile.append = "console=ttyS0 hostname={hostname}"
        profile.install_script = INSTALL_SCRIPT
        profile.full_clean()
        profile_save(profile=profile, actor="lab")
        flavor, _ = Flavor.objects.update_or_create(
            name="lab",
            defaults={
                "default_profile": profile,
                "service_pools": ["lab-service"],
                "description": "Bearman lab machines",
            },
        )
    return flavor


def lab_nodes(uuids: list[str]):
    return Node.objects.filter(uuid__in=uuids)


def lab_assign_flavor(*, flavor: Flavor, uuids: list[str]) -> int:
    """Give the lab's registered nodes the lab flavor, as an operator would."""
    return lab_nodes(uuids).filter(flavor=None).update(flavor=flavor)


def lab_forget_nodes(*, uuids: list[str]) -> int:
    """Remove these lab machines' nodes from Bearman: their machines start anew (no state,
    no BMC), so the nodes Bearman knew would be READY with a BMC nobody serves. Removed,
    they register afresh. Returns how many there were."""
    nodes = list(lab_nodes(uuids))
    for node in nodes:
        node_delete(node=node, actor="lab")
    return len(nodes)
