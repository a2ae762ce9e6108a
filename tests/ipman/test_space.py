"""The address rules, without a database: what a pool hands out, and in which order."""

import ipaddress

import pytest

from ipman.space import AddressSpace, parse_network, settings_errors


def space(network, **given) -> AddressSpace:
    return AddressSpace.of(network=network, **given)


def handed_out(space: AddressSpace) -> list[str]:
    return [str(address) for _, address in space.slice(0, 10_000)]


def errors(network="10.0.0.0/24", **given) -> dict:
    defaults = {"range_first": None, "range_last": None, "gateway": None, "reserved": []}
    return settings_errors(network=network, **{**defaults, **given})


def test_an_ipv4_network_hands_out_its_hosts_minus_the_gateway():
    pool = space("10.0.0.0/29", gateway="10.0.0.1")
    assert handed_out(pool) == ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"]
    assert pool.total == 5


@pytest.mark.parametrize(
    ("network", "expected"),
    [
        ("10.0.0.0/31", ["10.0.0.0", "10.0.0.1"]),  # RFC 3021 point-to-point
        ("10.0.0.7/32", ["10.0.0.7"]),
        ("2001:db8::/127", ["2001:db8::", "2001:db8::1"]),  # RFC 6164
    ],
)
def test_point_to_point_networks_use_every_address(network, expected):
    assert handed_out(space(network)) == expected


def test_ipv6_skips_the_subnet_router_anycast_and_the_gateway_and_has_no_broadcast():
    pool = space("2001:db8::/125", gateway="2001:db8::1")
    assert handed_out(pool) == [f"2001:db8::{n}" for n in range(2, 8)]


def test_low_ipv6_addresses_stay_ipv6():
    assert handed_out(space("::/125")) == ["::1", "::2", "::3", "::4", "::5", "::6", "::7"]


def test_a_slash_64_counts_every_address_without_listing_them():
    pool = space("2001:db8:0:1::/64", gateway="2001:db8:0:1::1")
    assert pool.total == 2**64 - 2
    assert str(pool.address_at(0)) == "2001:db8:0:1::2"
    # Positions are 63-bit: the top half of a /64 is reserved by hand, never handed out.
    assert pool.position_of("2001:db8:0:1:ffff:ffff:ffff:ffff") is None
    assert pool.position_of("2001:db8:0:1::1:0") == 0x10000 - 2


def test_reserved_addresses_ranges_and_subnets_are_skipped():
    pool = space(
        "10.0.0.0/27",
        gateway="10.0.0.1",
        reserved=["10.0.0.3", "10.0.0.5-10.0.0.9", "10.0.0.16/29", "10.0.0.8"],
    )
    expected = ["10.0.0.2", "10.0.0.4", "10.0.0.10", "10.0.0.11", "10.0.0.12", "10.0.0.13"]
    expected += ["10.0.0.14", "10.0.0.15", *[f"10.0.0.{n}" for n in range(24, 31)]]
    assert handed_out(pool) == expected
    assert pool.total == len(expected)


def test_the_usable_range_bounds_what_is_handed_out():
    pool = space("10.0.0.0/24", range_first="10.0.0.200", range_last="10.0.0.203")
    assert handed_out(pool) == ["10.0.0.200", "10.0.0.201", "10.0.0.202", "10.0.0.203"]


def test_positions_and_addresses_map_both_ways():
    pool = space("10.0.0.0/24", gateway="10.0.0.1", reserved=["10.0.0.10-10.0.0.19"])
    for position, address in pool.slice(0, pool.total):
        assert pool.position_of(address) == position
        assert pool.address_at(position) == address
    assert pool.position_of("10.0.0.15") is None
    assert pool.position_of("10.0.1.1") is None
    assert pool.position_of("2001:db8::1") is None
    with pytest.raises(IndexError):
        pool.address_at(pool.total)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.0.1.5", "is not in 10.0.0.0/24"),
        ("2001:db8::5", "is not in 10.0.0.0/24"),
        ("10.0.0.0", "is the network address"),
        ("10.0.0.255", "is the broadcast address"),
        ("10.0.0.1", "is the gateway"),
        ("10.0.0.12", "is reserved (10.0.0.10-10.0.0.19)"),
        ("10.0.0.250", "is outside the usable range 10.0.0.2-10.0.0.240"),
    ],
)
def test_why_an_address_is_not_handed_out(address, reason):
    pool = space(
        "10.0.0.0/24",
        gateway="10.0.0.1",
        range_first="10.0.0.2",
        range_last="10.0.0.240",
        reserved=["10.0.0.10-10.0.0.19"],
    )
    assert pool.exclusion(ipaddress.ip_address(address)) == reason


def test_an_address_it_hands_out_has_no_exclusion():
    assert space("10.0.0.0/24").exclusion(ipaddress.ip_address("10.0.0.77")) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10.0.0.5/24", "10.0.0.5/24 has host bits set: the network is 10.0.0.0/24."),
        ("10.0.0.0", "10.0.0.0 is not a network: write it as CIDR"),
        ("10.0.0.0/33", "10.0.0.0/33 is not a network"),
        ("banana/8", "banana/8 is not a network"),
        ("", "An empty value is not a network"),
    ],
)
def test_bad_networks_are_named_with_a_way_out(text, message):
    with pytest.raises(ValueError) as raised:
        parse_network(text)
    assert str(raised.value).startswith(message)


def test_sound_settings_have_no_errors():
    assert errors(gateway="10.0.0.1", reserved=["10.0.0.2-10.0.0.9", "10.0.0.128/25"]) == {}
    assert errors(network="2001:db8::/64", gateway="2001:db8::1") == {}


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"gateway": "10.0.1.1"}, "gateway", "The gateway 10.0.1.1 is not in 10.0.0.0/24."),
        ({"gateway": "10.0.0.0"}, "gateway", "is the network address of 10.0.0.0/24"),
        ({"gateway": "10.0.0.255"}, "gateway", "is the broadcast address of 10.0.0.0/24"),
        ({"gateway": "2001:db8::1"}, "gateway", "is not in 10.0.0.0/24"),
        ({"range_first": "10.0.9.1"}, "range_first", "The range start 10.0.9.1 is not in"),
        ({"range_last": "10.0.0.255"}, "range_last", "range end 10.0.0.255 is the broadcast"),
        (
            {"range_first": "10.0.0.90", "range_last": "10.0.0.80"},
            "range_last",
            "The range ends (10.0.0.80) before it starts (10.0.0.90).",
        ),
        ({"reserved": ["10.0.5.1"]}, "reserved", "The reserved address 10.0.5.1 is not in"),
        ({"reserved": ["10.0.0.9-10.0.0.3"]}, "reserved", "ends before it starts"),
        ({"reserved": ["10.0.0.0/16"]}, "reserved", "The reserved subnet 10.0.0.0/16 is not in"),
        ({"reserved": ["ten"]}, "reserved", "ten is not an IP address."),
        (
            {"network": "10.0.0.0/30", "gateway": "10.0.0.1", "reserved": ["10.0.0.2"]},
            "reserved",
            "Nothing is left to hand out between 10.0.0.1 and 10.0.0.2",
        ),
    ],
)
def test_unsound_settings_are_named_by_field(given, field, message):
    found = errors(**given)
    assert list(found) == [field]
    assert message in found[field][0]
