"""Normalising and validating what comes from outside: agents, forms, the API."""

import re
import uuid

from django.core.exceptions import ValidationError

from bearman.power.options import option_problems

# Boards with an unset SMBIOS UUID report one of these; they are not identities.
PLACEHOLDER_UUIDS = frozenset(
    {"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"}
)
HOSTNAME_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.IGNORECASE)
MAC_DIGITS = re.compile(r"^[0-9a-f]{12}$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# Linux's dev_valid_name (net/core/dev.c) judges bytes: fewer than IFNAMSIZ (16), and none of
# "/", ":" or what the kernel's isspace() calls space, which includes Latin-1's no-break 0xA0.
IFNAMSIZ = 16
INTERFACE_NAME_FORBIDDEN = frozenset(b"/: \t\n\v\f\r\xa0")


def normalize_system_uuid(value: str) -> str:
    """The canonical form (lowercase, dashed) of a UUID as iPXE or dmidecode print it."""
    text = str(value).strip()
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        raise ValidationError(
            "%(value)s is not a system UUID (expected 32 hex digits, "
            "e.g. 4c4c4544-0042-3510-8052-b3c04f4b4c32).",
            code="invalid_uuid",
            params={"value": text[:64] or "An empty value"},
        ) from None
    canonical = str(parsed)
    if canonical in PLACEHOLDER_UUIDS:
        raise ValidationError(
            "%(value)s is a placeholder UUID that many boards share; set the system "
            "UUID in the firmware.",
            code="placeholder_uuid",
            params={"value": canonical},
        )
    return canonical


def validate_hostname(value: str) -> None:
    """A hostname per RFC 1123: dot-separated labels of letters, digits and inner hyphens."""
    if not value or len(value) > 253:
        raise ValidationError("A hostname has 1 to 253 characters.", code="invalid_hostname")
    labels = value.rstrip(".").split(".") if value != "." else [""]
    bad = [label for label in labels if not HOSTNAME_LABEL.match(label)]
    if bad:
        raise ValidationError(
            "%(value)s is not a valid hostname (RFC 1123): each dot-separated part has 1 to 63 "
            "letters, digits or hyphens, and does not start or end with a hyphen.",
            code="invalid_hostname",
            params={"value": value},
        )


def validate_single_line(value: str) -> None:
    """One line of printable text: it ends up inside an iPXE script or a kernel command line."""
    if CONTROL_CHARACTERS.search(value or ""):
        raise ValidationError(
            "Must be a single line: line breaks, tabs and other control characters are not "
            "allowed.",
            code="not_single_line",
        )


def validate_interface_name(value: str) -> None:
    """A network interface name the Linux kernel would accept (dev_valid_name), and printable."""
    encoded = value.encode("utf-8", "surrogatepass")
    if (
        not 0 < len(encoded) < IFNAMSIZ
        or value in (".", "..")
        or INTERFACE_NAME_FORBIDDEN.intersection(encoded)
        or CONTROL_CHARACTERS.search(value)
    ):
        raise ValidationError(
            "%(value)s is not a Linux interface name: 1 to 15 bytes, not . or .., without "
            "/, :, spaces or control characters.",
            code="invalid_interface_name",
            params={"value": ascii(value[:32])},
        )


def normalize_mac(value: str) -> str:
    """A MAC address in the lowercase colon form, from any common spelling."""
    digits = re.sub(r"[\s:.-]", "", str(value)).lower()
    if not MAC_DIGITS.match(digits):
        raise ValidationError(
            "%(value)s is not a MAC address.", code="invalid_mac", params={"value": value}
        )
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def mac_search_term(term: str) -> str:
    """A search term as typed, or in the stored MAC form when it is a MAC in any spelling."""
    if not any(separator in term for separator in ":-."):
        return term  # bare hex may be a serial: leave it alone
    try:
        return normalize_mac(term)
    except ValidationError:  # not a MAC: search it as typed
        return term


def validate_sha256(value: str) -> None:
    """64 lowercase hex digits, as sha256sum prints them."""
    if value and not SHA256_HEX.match(value):
        raise ValidationError(
            "A sha256 checksum is 64 lowercase hex digits.", code="invalid_sha256"
        )


def validate_bmc_options(value) -> None:
    """Driver options: a JSON object of options some power driver knows, each of its type.

    Which driver takes which option is checked with the driver (bearman.services.nodes).
    """
    problems = option_problems(value)
    if problems:
        raise ValidationError(problems)


RACK_POSITION = re.compile(r"^[a-z0-9]+(?:[._/-][a-z0-9]+)*$")
RACK_POSITION_MAX = 64


def validate_rack_position(value: str) -> None:
    """A rack position as the floor plan writes it (dc1-r12-u07): lowercase, so one spelling."""
    if len(value) > RACK_POSITION_MAX or not RACK_POSITION.match(value):
        raise ValidationError(
            "%(value)s is not a rack position: 1 to 64 lowercase letters and digits, "
            "parts joined by single . _ / or - (e.g. dc1-r12-u07).",
            code="invalid_rack_position",
            params={"value": ascii(value[:80])},
        )
