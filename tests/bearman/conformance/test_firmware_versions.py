"""Firmware versions as vendors print them: parsed, compared, and refused when unreadable."""

import pytest

from bearman.firmware_versions import (
    Version,
    VersionNotUnderstood,
    version_at_least,
    version_parse,
)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2.19.1", Version("", (2, 19, 1))),
        ("U30 v2.80", Version("U30", (2, 80))),
        ("U30 v2.80 (03/08/2022)", Version("U30", (2, 80))),
        ("P89 v2.72 (03/08/2022)", Version("P89", (2, 72))),
        ("iDRAC 4.40.00.00", Version("", (4, 40, 0, 0))),
        ("1.2-3", Version("", (1, 2, 3))),
        ("3.4a", Version("", (3, 4), "a")),
        ("1.16.2-debian-1.16.2-1", Version("", (1, 16, 2))),
        ("BIOS Version 2.17.1", Version("", (2, 17, 1))),
        ("V2.80", Version("", (2, 80))),
        ("6.10", Version("", (6, 10))),
        ("20.5.13_2", Version("", (20, 5, 13, 2))),
        ("  1.73  ", Version("", (1, 73))),
    ],
)
def test_versions_vendors_print_are_read(text, parsed):
    assert version_parse(text) == parsed


@pytest.mark.parametrize(
    "text", ["", "   ", "U30", "unknown", "iDRAC", "(2.19.1)", "x" * 200, None]
)
def test_text_without_a_version_number_is_not_understood(text):
    with pytest.raises(VersionNotUnderstood, match="not understood"):
        version_parse(text)


@pytest.mark.parametrize(
    ("found", "minimum", "new_enough"),
    [
        ("2.19.1", "2.19.1", True),
        ("2.19.2", "2.19.1", True),
        ("2.17.1", "2.19.1", False),
        ("2.9.0", "2.19.1", False),  # numbers, not text: 9 < 19
        ("2.20", "2.19.1", True),
        ("2.19", "2.19.0", True),  # missing parts are zeros
        ("2.19", "2.19.1", False),
        ("U30 v2.80 (03/08/2022)", "U30 v2.72", True),
        ("U30 v2.62", "U30 v2.72", False),
        ("U30 v2.80", "2.80", True),  # a minimum without a family takes any family
        ("iDRAC 4.40.00.00", "4.40", True),
        ("4.32.10.00", "iDRAC 4.40.00.00", False),
        ("1.2-3", "1.2-2", True),
        ("1.2-3", "1.2.4", False),
        ("3.4a", "3.4", True),
        ("3.4", "3.4a", False),
        ("3.4b", "3.4a", True),
        ("6.10", "6.00", True),
        ("2.78", "2.80", False),
    ],
)
def test_versions_compare_by_their_numbers(found, minimum, new_enough):
    assert version_at_least(found, minimum) is new_enough


@pytest.mark.parametrize(
    ("found", "minimum", "message"),
    [
        ("U32 v1.50", "U30 v2.80", "family U32, the minimum 'U30 v2.80' of U30"),
        ("2.80", "U30 v2.80", "family none"),
        ("U30", "U30 v2.80", "no version number"),
        ("2.80", "soon", "no version number"),
    ],
)
def test_versions_that_cannot_be_compared_say_why(found, minimum, message):
    with pytest.raises(VersionNotUnderstood, match=message.replace("(", r"\(")):
        version_at_least(found, minimum)
