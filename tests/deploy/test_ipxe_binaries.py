"""GET /ipxe/bin/<name>: Debian's iPXE binaries over HTTP, and nothing else."""

from pathlib import Path

import pytest

from bearman.views.ipxe_binaries import IPXE_BINARIES
from tests.conftest import require

DEBIAN_IPXE = Path("/usr/lib/ipxe")


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def debian_ipxe(settings):
    require(
        (DEBIAN_IPXE / "undionly.kpxe").exists(),
        "Debian's ipxe package is not installed (make system-deps installs it)",
    )
    settings.BEARMAN_IPXE_BINARY_DIR = str(DEBIAN_IPXE)
    return DEBIAN_IPXE


@pytest.fixture
def binary_dir(settings, tmp_path):
    settings.BEARMAN_IPXE_BINARY_DIR = str(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", sorted(IPXE_BINARIES))
def test_debians_binary_is_served_byte_for_byte(client, debian_ipxe, name):
    response = client.get(f"/ipxe/bin/{name}")
    assert response.status_code == 200
    assert body_of(response) == (debian_ipxe / name).read_bytes()  # ipxe.efi is a symlink
    expected = "application/efi" if name.endswith(".efi") else "application/octet-stream"
    assert response["Content-Type"] == expected
    assert response["Content-Length"] == str((debian_ipxe / name).stat().st_size)
    assert response["Accept-Ranges"] == "bytes"


def test_a_download_resumes_and_revalidates(client, binary_dir):
    (binary_dir / "ipxe.efi").write_bytes(b"MZ" + bytes(range(256)) * 8)
    first = client.get("/ipxe/bin/ipxe.efi")
    partial = client.get("/ipxe/bin/ipxe.efi", HTTP_RANGE="bytes=2-5")
    assert partial.status_code == 206 and body_of(partial) == bytes(range(4))
    assert partial["Content-Type"] == "application/efi"
    again = client.get("/ipxe/bin/ipxe.efi", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert client.head("/ipxe/bin/ipxe.efi").status_code == 200
    assert client.post("/ipxe/bin/ipxe.efi").status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "/ipxe/bin/ipxe.pxe",  # in Debian's directory, but not one we hand out
        "/ipxe/bin/ipxe.iso",
        "/ipxe/bin/secret.txt",
        "/ipxe/bin/..",
        "/ipxe/bin/..%2Fsecret.txt",
        "/ipxe/bin/..%2F..%2Fetc%2Fpasswd",
        "/ipxe/bin/%2E%2E%2Fsecret.txt",
        "/ipxe/bin/undionly.kpxe%00",
        "/ipxe/bin/UNDIONLY.KPXE",
    ],
)
def test_only_the_three_names_are_served(client, binary_dir, path):
    for name in [*IPXE_BINARIES, "ipxe.pxe", "ipxe.iso", "secret.txt"]:
        (binary_dir / name).write_bytes(b"not for you")
    (binary_dir.parent / "secret.txt").write_bytes(b"not for you")
    response = client.get(path)
    assert response.status_code == 404
    assert b"not for you" not in body_of(response)


def test_a_missing_binary_says_what_to_install(client, binary_dir):
    response = client.get("/ipxe/bin/snponly.efi")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "snponly.efi" in text and str(binary_dir) in text
    assert "install Debian's ipxe package" in text


def test_an_unknown_name_lists_what_is_served(client, binary_dir):
    text = client.get("/ipxe/bin/pxelinux.0").content.decode()
    assert "ipxe.efi, snponly.efi, undionly.kpxe" in text


def test_the_node_script_route_still_answers_next_to_it(client, binary_dir, settings, db):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get(
        "/ipxe/4c4c4544-0042-3510-8052-b3c04f4b4c32", HTTP_USER_AGENT="iPXE/1.21.1"
    )
    assert response.status_code == 200 and response.content.startswith(b"#!ipxe")
