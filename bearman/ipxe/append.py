"""Variables in a Profile's kernel command line: {bearman_url}, {grpc}, {uuid}, {hostname}."""

import string

from django.core.exceptions import ValidationError

from bearman.errors import ProfileAppendInvalid

APPEND_VARIABLES = frozenset({"bearman_url", "grpc", "uuid", "hostname"})


def append_variables(append: str) -> set[str]:
    """The variable names `append` uses; ValueError on unbalanced braces."""
    return {field for _, field, _, _ in string.Formatter().parse(append) if field is not None}


def validate_append_variables(append: str) -> None:
    """Only known variables, plainly named (no attribute or index access)."""
    try:
        used = append_variables(append)
    except ValueError:
        raise ValidationError(
            "Unbalanced { or } in the command line; write {{ and }} for literal braces.",
            code="append_braces",
        ) from None
    unknown = used - APPEND_VARIABLES
    if unknown:
        raise ValidationError(
            "Unknown variable(s) %(names)s; available: %(known)s.",
            code="append_variable",
            params={
                "names": ", ".join(f"{{{name}}}" for name in sorted(unknown)),
                "known": ", ".join(f"{{{name}}}" for name in sorted(APPEND_VARIABLES)),
            },
        )


def render_append(append: str, **values: str) -> str:
    """The command line with its variables filled in."""
    try:
        return append.format_map(values)
    except (KeyError, ValueError, IndexError, AttributeError) as error:
        raise ProfileAppendInvalid(
            f"The profile's command line cannot be rendered: {error!r}"
        ) from None
