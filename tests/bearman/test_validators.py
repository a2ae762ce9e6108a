import pytest
from django.core.exceptions import ValidationError

from bearman.validators import (
    normalize_mac,
    normalize_system_uuid,
    validate_hostname,
    validate_sha256,
    validate_single_line,
)

CANONICAL = "4c4c4544-0042-3510-8052-b3c04f4b4c32"


@pytest.mark.parametrize(
    "spelling",
    [
        "4C4C4544-0042-3510-8052-B3C04F4B4C32",  # dmidecode -s system-uuid
        "4c4c4544-0042-3510-8052-b3c04f4b4c32",  # iPXE ${uuid}
        "4C4C4544004235108052B3C04F4B4C32",
        "{4c4c4544-0042-3510-8052-b3c04f4b4c32}",
        "urn:uuid:4c4c4544-0042-3510-8052-b3c04f4b4c32",
        "  4c4c4544-0042-3510-8052-b3c04f4b4c32\n",
    ],
)
def test_uuid_spellings_normalise_to_one(spelling):
    assert normalize_system_uuid(spelling) == CANONICAL


@pytest.mark.parametrize(
    "bad", ["", "not-a-uuid", "4c4c4544-0042-3510-8052", "4c4c4544-0042-3510-8052-b3c04f4b4c3z"]
)
def test_malformed_uuid_is_refused_with_an_example(bad):
    with pytest.raises(ValidationError) as raised:
        normalize_system_uuid(bad)
    assert "is not a system UUID" in raised.value.messages[0]


@pytest.mark.parametrize(
    "placeholder", ["00000000-0000-0000-0000-000000000000", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"]
)
def test_placeholder_uuids_are_refused(placeholder):
    with pytest.raises(ValidationError, match="placeholder"):
        normalize_system_uuid(placeholder)


@pytest.mark.parametrize(
    "name", ["node01", "node-01.r12.example.com", "a", "x" * 63, "n1.example."]
)
def test_good_hostnames(name):
    validate_hostname(name)


@pytest.mark.parametrize(
    "name", ["", "-node", "node-", "no_de", "node 01", "x" * 64, "a..b", "ノード", "n" * 254]
)
def test_bad_hostnames(name):
    with pytest.raises(ValidationError):
        validate_hostname(name)


@pytest.mark.parametrize("text", ["a\nb", "a\rb", "a\tb", "x\x00", "ok\x1b[31m"])
def test_single_line_refuses_control_characters(text):
    with pytest.raises(ValidationError, match="single line"):
        validate_single_line(text)


def test_single_line_accepts_a_kernel_command_line():
    validate_single_line("console=ttyS0,115200n8 root=/dev/sda1 quiet ---")


@pytest.mark.parametrize(
    "spelling", ["B8:CA:3A:01:02:03", "b8-ca-3a-01-02-03", "b8ca.3a01.0203", "b8ca3a010203"]
)
def test_mac_spellings(spelling):
    assert normalize_mac(spelling) == "b8:ca:3a:01:02:03"


@pytest.mark.parametrize("bad", ["b8:ca:3a:01:02", "zz:ca:3a:01:02:03", "10.0.0.1"])
def test_bad_macs(bad):
    with pytest.raises(ValidationError):
        normalize_mac(bad)


def test_sha256():
    validate_sha256("a" * 64)
    with pytest.raises(ValidationError):
        validate_sha256("A" * 64)
