"""first_stage_install: the built image as boot artifacts, the site overlay as a real cpio."""

import hashlib
import os
import shutil
import stat
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from bearman.errors import FirstStageMissing
from bearman.models import BootArtifact
from bearman.services.catalog import artifact_path
from bearman.services.first_stage import (
    INITRD_ARTIFACT,
    KERNEL_ARTIFACT,
    cpio_newc,
    first_stage_install,
)

pytestmark = pytest.mark.django_db

TOKEN = "enroll-7Qx_secret.token-value"
KERNEL = b"\x7fkernel" * 5000
# Like a real build: a zstd stream whose length is not a multiple of 4.
INITRD = b"(\xb5/\xfd" + b"initrd" * 4001 + b"x"

needs_cpio = pytest.mark.skipif(shutil.which("cpio") is None, reason="needs Debian's cpio")


@pytest.fixture
def built(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.BEARMAN_ENROLLMENT_TOKEN = TOKEN
    directory = tmp_path / "first-stage"
    directory.mkdir()
    (directory / "vmlinuz").write_bytes(KERNEL)
    (directory / "initrd.img").write_bytes(INITRD)
    return directory


def overlay_of(stored: bytes) -> bytes:
    """What follows the built initrd and its zero padding."""
    assert stored.startswith(INITRD)
    rest = stored[len(INITRD) :]
    padding = -len(INITRD) % 4
    assert rest[:padding] == b"\0" * padding
    assert (len(INITRD) + padding) % 4 == 0
    return rest[padding:]


def unpack(archive: bytes, into: Path) -> list[str]:
    """List and extract with the real cpio; returns the listed names."""
    listed = subprocess.run(
        ["cpio", "-t", "--quiet"], input=archive, capture_output=True, check=True
    ).stdout.decode()
    into.mkdir()
    subprocess.run(
        ["cpio", "-i", "--quiet", "--make-directories", "--no-absolute-filenames"],
        input=archive,
        cwd=into,
        capture_output=True,
        check=True,
    )
    return listed.split()


@needs_cpio
def test_the_artifacts_are_stored_with_their_sha256_and_the_overlay_holds_the_token(
    built, tmp_path
):
    installed = first_stage_install(directory=built, token=TOKEN, lldp_wait=0)

    kernel = BootArtifact.objects.get(name=KERNEL_ARTIFACT)
    assert (kernel.size_bytes, kernel.sha256) == (len(KERNEL), hashlib.sha256(KERNEL).hexdigest())
    assert artifact_path(KERNEL_ARTIFACT).read_bytes() == KERNEL

    stored = artifact_path(INITRD_ARTIFACT).read_bytes()
    initrd = BootArtifact.objects.get(name=INITRD_ARTIFACT)
    assert (initrd.size_bytes, initrd.sha256) == (len(stored), hashlib.sha256(stored).hexdigest())
    assert installed.initrd == initrd
    assert installed.overlay_bytes == len(overlay_of(stored))

    names = unpack(overlay_of(stored), tmp_path / "unpacked")
    assert names == ["etc/bearman", "etc/bearman/agent.env"]
    env = tmp_path / "unpacked" / "etc" / "bearman" / "agent.env"
    assert stat.S_IMODE(os.stat(env).st_mode) == 0o600
    lines = env.read_text().splitlines()
    assert f"BEARMAN_TOKEN={TOKEN}" in lines
    assert "BEARMAN_LLDP_WAIT=0" in lines


@needs_cpio
def test_the_overlay_lists_with_modes_and_root_owner(tmp_path):
    archive = cpio_newc([("etc/bearman", 0o040755, b""), ("etc/bearman/x", 0o100600, b"abc")])

    verbose = subprocess.run(
        ["cpio", "-tv", "--quiet", "--numeric-uid-gid"],
        input=archive,
        capture_output=True,
        check=True,
    ).stdout.decode()
    modes = [(line.split()[0], line.split()[2], line.split()[-1]) for line in verbose.splitlines()]
    assert modes == [("drwxr-xr-x", "0", "etc/bearman"), ("-rw-------", "0", "etc/bearman/x")]
    assert len(archive) % 4 == 0


@needs_cpio
def test_without_a_token_the_overlay_holds_only_the_lldp_wait(built, tmp_path):
    first_stage_install(directory=built, token=None, lldp_wait=5)

    stored = artifact_path(INITRD_ARTIFACT).read_bytes()
    unpack(overlay_of(stored), tmp_path / "unpacked")
    env = (tmp_path / "unpacked" / "etc" / "bearman" / "agent.env").read_text()
    assert "BEARMAN_LLDP_WAIT=5" in env
    assert "BEARMAN_TOKEN" not in env


def test_with_nothing_to_add_the_initrd_is_stored_as_built(built):
    installed = first_stage_install(directory=built, token=None)

    assert installed.overlay_bytes == 0
    assert artifact_path(INITRD_ARTIFACT).read_bytes() == INITRD
    assert installed.initrd.sha256 == hashlib.sha256(INITRD).hexdigest()


def test_installing_again_replaces_the_artifacts(built):
    first_stage_install(directory=built, token=TOKEN)
    (built / "vmlinuz").write_bytes(b"newer kernel")

    first_stage_install(directory=built, token=TOKEN)

    kernel = BootArtifact.objects.get(name=KERNEL_ARTIFACT)
    assert kernel.sha256 == hashlib.sha256(b"newer kernel").hexdigest()
    assert BootArtifact.objects.filter(name__startswith="first-stage-").count() == 2


def test_the_command_prints_names_sizes_and_sha256_but_never_the_token(built):
    out = StringIO()

    call_command("first_stage_install", "--dir", str(built), "--lldp-wait", "0", stdout=out)

    printed = out.getvalue()
    assert TOKEN not in printed
    for artifact in BootArtifact.objects.all():
        assert f"{artifact.name}: {artifact.size_bytes} bytes, sha256 {artifact.sha256}" in printed
    assert "enrollment token" in printed


def test_the_command_without_token_leaves_it_out(built):
    out = StringIO()

    call_command("first_stage_install", "--dir", str(built), "--no-token", stdout=out)

    assert TOKEN.encode() not in artifact_path(INITRD_ARTIFACT).read_bytes()
    assert TOKEN not in out.getvalue()


def test_a_missing_directory_names_make_first_stage(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")

    with pytest.raises(CommandError, match="make first-stage"):
        call_command("first_stage_install", "--dir", str(tmp_path / "nowhere"))
    with pytest.raises(FirstStageMissing, match="initrd.img"):
        (tmp_path / "half").mkdir()
        (tmp_path / "half" / "vmlinuz").write_bytes(KERNEL)
        first_stage_install(directory=tmp_path / "half", token=TOKEN)
    assert not BootArtifact.objects.exists()


def test_a_token_an_environment_file_cannot_carry_is_refused(built, settings):
    settings.BEARMAN_ENROLLMENT_TOKEN = "two words"

    with pytest.raises(CommandError, match="BEARMAN_TOKEN") as raised:
        call_command("first_stage_install", "--dir", str(built), stdout=StringIO())
    assert "two words" not in str(raised.value)
    assert not BootArtifact.objects.exists()
