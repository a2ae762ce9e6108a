import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bearman.models import BootArtifact, Profile
from bearman.services import artifact_store

pytestmark = pytest.mark.django_db
CONTENT = bytes(range(256)) * 4096  # 1 MiB that is easy to slice


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def kernel(media):
    return artifact_store(name="vmlinuz-6.8", chunks=[CONTENT[:1000], CONTENT[1000:]])


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_upload_through_the_admin_stores_checksum_and_size(admin_client, media):
    upload = SimpleUploadedFile("vmlinuz", CONTENT)
    response = admin_client.post(
        reverse("admin:bearman_bootartifact_add"),
        {"name": "vmlinuz-6.8", "description": "Noble kernel", "upload": upload},
    )
    assert response.status_code == 302
    artifact = BootArtifact.objects.get()
    assert artifact.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert artifact.size_bytes == len(CONTENT)
    assert (media / "artifacts" / "vmlinuz-6.8").read_bytes() == CONTENT


def test_an_artifact_needs_a_file_and_a_safe_name(admin_client, media):
    response = admin_client.post(
        reverse("admin:bearman_bootartifact_add"), {"name": "../../etc/passwd", "upload": ""}
    )
    assert response.status_code == 200
    errors = " ".join(str(e) for e in response.context["errors"])
    assert "Letters, digits" in errors and "Choose the file" in errors
    assert not BootArtifact.objects.exists()


def test_served_whole_and_streamed(client, kernel):
    response = client.get("/artifacts/vmlinuz-6.8")
    assert response.status_code == 200 and response.streaming
    assert body_of(response) == CONTENT
    assert response["Content-Length"] == str(len(CONTENT))
    assert response["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=1000-", 1000, len(CONTENT) - 1),
        ("bytes=-16", len(CONTENT) - 16, len(CONTENT) - 1),
        ("bytes=5-99999999", 5, len(CONTENT) - 1),
    ],
)
def test_range_requests_resume_a_download(client, kernel, header, first, last):
    response = client.get("/artifacts/vmlinuz-6.8", HTTP_RANGE=header)
    assert response.status_code == 206
    assert body_of(response) == CONTENT[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(CONTENT)}"


def test_an_unsatisfiable_range_gets_416(client, kernel):
    response = client.get("/artifacts/vmlinuz-6.8", HTTP_RANGE=f"bytes={len(CONTENT)}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(CONTENT)}"


def test_a_stale_if_range_gets_the_whole_file(client, kernel):
    response = client.get("/artifacts/vmlinuz-6.8", HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"x"')
    assert response.status_code == 200


def test_etag_and_last_modified_revalidate(client, kernel):
    first = client.get("/artifacts/vmlinuz-6.8")
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get("/artifacts/vmlinuz-6.8", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get("/artifacts/vmlinuz-6.8", HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    head = client.head("/artifacts/vmlinuz-6.8")
    assert head.status_code == 200 and head["ETag"] == etag


def test_missing_and_traversing_names_are_404(client, kernel):
    assert client.get("/artifacts/nope").status_code == 404
    assert client.get("/artifacts/..%2F..%2Fsettings.py").status_code == 404


def test_production_hands_the_file_to_nginx(client, kernel, settings):
    settings.BEARMAN_ARTIFACTS_ACCEL_REDIRECT = "/_artifacts"
    response = client.get("/artifacts/vmlinuz-6.8")
    assert response["X-Accel-Redirect"] == "/_artifacts/vmlinuz-6.8"
    assert response.content == b""


def test_a_profile_uses_an_uploaded_kernel_or_a_url_but_not_both(admin_client, kernel):
    form = {
        "name": "noble",
        "description": "",
        "boot_method": "ipxe",
        "kernel_url": "",
        "kernel_artifact": kernel.pk,
        "kernel_sha256": "",
        "initrd_url": "",
        "initrd_sha256": "",
        "append": "",
        "install_script": "",
    }
    assert admin_client.post(reverse("admin:bearman_profile_add"), form).status_code == 302
    both = {**form, "name": "both", "kernel_url": "http://x.example/vmlinuz"}
    response = admin_client.post(reverse("admin:bearman_profile_add"), both)
    assert "as a URL or as an uploaded artifact" in str(response.context["errors"])
    assert Profile.objects.count() == 1


def test_a_direct_boot_from_an_uploaded_kernel_points_at_bearman(client, kernel, settings):
    from tests.factories import BaremetalFactory, ProfileFactory

    settings.ALLOWED_HOSTS = ["10.0.0.2"]
    profile = ProfileFactory(boot_method="ipxe", kernel_url="", kernel_artifact=kernel)
    baremetal = BaremetalFactory(profile=profile)
    body = client.get(f"/ipxe/{baremetal.node.uuid}", HTTP_HOST="10.0.0.2").content.decode()
    assert "kernel http://10.0.0.2/artifacts/vmlinuz-6.8 " in body
