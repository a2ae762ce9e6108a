"""Checking what callers hand IPman: owners, notes and addresses."""

import ipaddress
import re

from django.core.exceptions import ValidationError

OWNER_MAX_LENGTH = 255
NOTE_MAX_LENGTH = 255
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def validate_owner(value: str) -> None:
    """An owner is a one-line key of 1 to 255 characters, such as node/<uuid>/ipmi."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("An owner is required, e.g. node/<uuid>/ipmi.", code="owner_empty")
    if len(value) > OWNER_MAX_LENGTH or CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            "An owner is one line of at most %(limit)d characters.",
            code="owner_invalid",
            params={"limit": OWNER_MAX_LENGTH},
        )


def validate_note(value: str) -> None:
    """A note is one line of at most 255 characters."""
    if len(value) > NOTE_MAX_LENGTH or CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            "A note is one line of at most %(limit)d characters.",
            code="note_invalid",
            params={"limit": NOTE_MAX_LENGTH},
        )


def clean_owner(value: str) -> str:
    """The owner without surrounding blanks, or a ValidationError on the owner field."""
    try:
        validate_owner(value)
    except ValidationError as error:
        raise ValidationError({"owner": error.messages}) from None
    return value.strip()


def clean_note(value: str) -> str:
    """The note without surrounding blanks, or a ValidationError on the note field."""
    value = (value or "").strip()
    try:
        validate_note(value)
    except ValidationError as error:
        raise ValidationError({"note": error.messages}) from None
    return value


def clean_address(value) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An IPv4 or IPv6 address, or a ValidationError on the address field."""
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise ValidationError(
            {"address": [f"{value or 'An empty value'} is not an IP address."]}
        ) from None
