"""Writes to what operators define: Profiles and boot artifacts."""

import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError

from bearman.errors import ProfileInUse
from bearman.models import Baremetal, BootArtifact, EventKind, Flavor, Profile
from bearman.models.profile import normalise_line_endings

from .boot_files import ipxe_render_on_commit
from .events import EventRecord, FieldChanges, events_record_many

CHUNK = 1024 * 1024


def profile_save(*, profile: Profile, actor: str) -> Profile:
    """Save a profile and re-render the scripts of every node it is deployed on; each of
    those nodes gets an Event when a field its boot script reads changed.

    The install script is stored with LF line endings, whoever sent it (admin, API).
    """
    profile.install_script = normalise_line_endings(profile.install_script)
    with transaction.atomic():
        stored = Profile.objects.filter(pk=profile.pk).first() if profile.pk else None
        profile.save()
        deployed = list(
            Baremetal.objects.filter(profile=profile).values_list("node_id", "node__uuid")
        )
        if stored and (changes := _boot_changes(stored, profile)):
            message = f"Profile {profile.name} changed: {changes.described()}"
            events_record_many(
                records=[
                    EventRecord(node_id, EventKind.BAREMETAL, message, actor, changes.as_data())
                    for node_id, _ in deployed
                ]
            )
        ipxe_render_on_commit(uuids=[uuid for _, uuid in deployed])
    return profile


def _boot_changes(stored: Profile, profile: Profile) -> FieldChanges:
    """What a node's boot script reads of its profile (services.boot_scripts), as changed."""
    old, new = _boot_fields(stored), _boot_fields(profile)
    return FieldChanges(
        (field, (old[field], new[field])) for field in old if old[field] != new[field]
    )


def _boot_fields(profile: Profile) -> dict:
    artifacts = {
        field: artifact.name if (artifact := getattr(profile, field)) else ""
        for field in ("kernel_artifact", "initrd_artifact")
    }
    fields = ("name", "boot_method", "kernel_url", "initrd_url", "append")
    return {**{field: getattr(profile, field) for field in fields}, **artifacts}


def profile_delete(*, profile: Profile) -> None:
    """Remove a profile no Baremetal uses; flavors that default to it lose their default."""
    try:
        with transaction.atomic():
            profile.delete()
    except ProtectedError as error:
        hostnames = sorted(str(baremetal) for baremetal in error.protected_objects)
        more = f" and {len(hostnames) - 10} more" if len(hostnames) > 10 else ""
        raise ProfileInUse(
            f"Profile {profile.name} is used by Baremetals {', '.join(hostnames[:10])}{more}; "
            "release them first."
        ) from None


def flavor_save(*, flavor: Flavor) -> Flavor:
    """Save a flavor (what a machine is for); nodes pick it up at their next deploy."""
    flavor.save()
    return flavor


def flavor_delete(*, flavor: Flavor) -> None:
    """Remove a flavor; its nodes keep running with no flavor."""
    flavor.delete()


def artifact_path(name: str) -> Path:
    """Where the bytes of artifact `name` live (served at /artifacts/<name>)."""
    return Path(settings.MEDIA_ROOT) / "artifacts" / name


def artifact_store(*, name: str, chunks, description: str = "") -> BootArtifact:
    """Store an uploaded file under `name`, streaming it to disk and hashing it on the way."""
    target = artifact_path(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                handle.write(chunk)
        os.chmod(temporary, 0o644)
        with transaction.atomic():
            artifact, _ = BootArtifact.objects.update_or_create(
                name=name,
                defaults={
                    "sha256": digest.hexdigest(),
                    "size_bytes": size,
                    "description": description,
                },
            )
            # Replace the bytes only once the record is in place; readers see old or new.
            os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return artifact


def artifact_delete(*, artifact: BootArtifact) -> None:
    """Remove an artifact no profile uses (PROTECT refuses otherwise) and its bytes."""
    with transaction.atomic():
        artifact.delete()
        transaction.on_commit(lambda: artifact_path(artifact.name).unlink(missing_ok=True))
