"""Firmware versions as vendors print them, compared by their numbers (conformance rules).

Pure Python (no Django). A version is an optional family and a dotted number:
"2.19.1" (Dell BIOS), "U30 v2.80 (03/08/2022)" (HPE: family U30, version 2.80, the
release date ignored), "iDRAC 4.40.00.00" (a product word, ignored), "1.2-3" (a dash
separates numbers too), "3.4a" (a trailing letter counts after the numbers). Versions
of different families (HPE's U30 and U32 ROMs) do not compare: neither is newer.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from bearman.errors import BearmanError

# Release dates and build notes vendors append in brackets.
BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
# A word that starts with the number; a suffix after a dash or plus is a build note.
NUMBER = re.compile(r"^v?(\d+(?:[.\-_]\d+)*)([a-z]?)(?:$|[-+~_])", re.IGNORECASE)
# A family is letters and digits together (U30, P89, A12); plain words are decoration.
FAMILY = re.compile(r"^(?=.*[a-z])(?=.*\d)[a-z0-9]+$", re.IGNORECASE)
MAX_LENGTH = 128


class VersionNotUnderstood(BearmanError):
    """A version string with no number we can read, or families that cannot be compared."""


@dataclass(frozen=True)
class Version:
    """A parsed version: its family (upper case, may be empty), numbers and letter."""

    family: str
    numbers: tuple[int, ...]
    letter: str = ""

    def key(self, length: int) -> tuple:
        """Comparable form, padded with zeros so that 2.8 and 2.8.0 are equal."""
        return (*self.numbers, *(0,) * (length - len(self.numbers)), self.letter)


def version_parse(text: str) -> Version:
    """The Version in `text`; VersionNotUnderstood when there is no number to read."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_LENGTH:
        raise VersionNotUnderstood(f"version {str(text)[:MAX_LENGTH]!r} not understood")
    return _parsed(text)


# A registration batch compares the same few versions again and again.
@lru_cache(maxsize=4096)
def _parsed(text: str) -> Version:
    family = ""
    for word in BRACKETED.sub(" ", text).replace(",", " ").split():
        number = NUMBER.match(word)
        if number:
            numbers = tuple(int(part) for part in re.split(r"[.\-_]", number.group(1)))
            return Version(family=family, numbers=numbers, letter=number.group(2).lower())
        if FAMILY.match(word) and not family:
            family = word.upper()
    raise VersionNotUnderstood(f"version {text!r} not understood: no version number in it")


def version_at_least(found: str, minimum: str) -> bool:
    """True when `found` is `minimum` or newer; VersionNotUnderstood when it cannot tell.

    A minimum without a family ("2.80") accepts any family; with one ("U30 v2.80") the
    found version must be of that family.
    """
    have, need = version_parse(found), version_parse(minimum)
    if need.family and have.family != need.family:
        shown = have.family or "none"
        raise VersionNotUnderstood(
            f"version {found!r} is of family {shown}, the minimum {minimum!r} of {need.family}"
        )
    length = max(len(have.numbers), len(need.numbers))
    return have.key(length) >= need.key(length)
