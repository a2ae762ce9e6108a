"""Keeping operator-edited values from becoming iPXE commands.

An iPXE script is a list of commands, one per line; `${…}` expands settings and a
lone `||` or `&&` chains commands. A value that could do either is refused when it
is saved (validators here) and again when a script is rendered (the template
engine's finalize hook), so a value that slipped past the first check never
reaches a booting machine.
"""

import re

from django.core.exceptions import ValidationError

from bearman.errors import IpxeUnsafeValue

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
OPERATOR_TOKENS = {"||", "&&"}


def ipxe_problem(value: str) -> str | None:
    """Why `value` is unsafe inside an iPXE command line, or None when it is safe."""
    if CONTROL.search(value):
        return "line breaks and other control characters end an iPXE command"
    if "${" in value:
        return "'${' would expand an iPXE setting"
    if OPERATOR_TOKENS & set(value.split()):
        return "a lone '||' or '&&' would chain another iPXE command"
    if value.lstrip().startswith(("#", ":")):
        return "a leading '#' or ':' makes an iPXE comment or label"
    return None


def ipxe_checked(value) -> str:
    """`value` as text, or IpxeUnsafeValue; the template engine calls this on every output."""
    text = "" if value is None else str(value)
    problem = ipxe_problem(text)
    if problem:
        raise IpxeUnsafeValue(f"Refusing to render {text[:80]!r} into an iPXE script: {problem}.")
    return text


def validate_ipxe_safe(value: str) -> None:
    """Model/form validator for fields that end up in iPXE scripts."""
    problem = ipxe_problem(value or "")
    if problem:
        raise ValidationError(
            "Not allowed in a value that goes into an iPXE script: %(problem)s.",
            code="ipxe_unsafe",
            params={"problem": problem},
        )
