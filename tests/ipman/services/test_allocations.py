import pytest
from django.core.exceptions import ValidationError

from ipman.errors import (
    AddressInUse,
    AddressOutsidePool,
    OwnerHasAddress,
    PoolExhausted,
    PoolNotFound,
)
from ipman.models import Allocation
from ipman.services import ip_allocate, ip_allocate_for, ip_release, ip_reserve
from tests.ipman.factories import PoolFactory

pytestmark = pytest.mark.django_db


def addresses(pool, count: int, prefix: str = "node") -> list[str]:
    return [ip_allocate(pool=pool, owner=f"{prefix}/{n}").address for n in range(count)]


def test_the_lowest_free_address_comes_first_skipping_network_and_gateway():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1")
    assert addresses(pool, 3) == ["10.20.0.2", "10.20.0.3", "10.20.0.4"]


def test_the_same_owner_gets_the_same_address_again():
    pool = PoolFactory(network="10.20.0.0/24")
    first = ip_allocate(pool=pool, owner="node/4c4c4544-0042/ipmi")
    again = ip_allocate(pool=pool.name, owner="node/4c4c4544-0042/ipmi")
    assert (first.address, first.created) == ("10.20.0.2", True)
    assert (again.address, again.created) == ("10.20.0.2", False)
    assert Allocation.objects.count() == 1


def test_asking_again_skips_no_address_for_the_next_owner():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1")
    ip_allocate(pool=pool, owner="node/a")
    for _ in range(3):
        assert ip_allocate(pool=pool, owner="node/a").address == "10.20.0.2"

    assert addresses(pool, 2, prefix="next") == ["10.20.0.3", "10.20.0.4"]
    ip_release(owner="next/0", pool=pool)  # with an address given back waiting
    assert ip_allocate(pool=pool, owner="node/a").address == "10.20.0.2"
    assert ip_allocate(pool=pool, owner="node/b").address == "10.20.0.3"


def test_an_assignment_carries_what_a_bmc_needs():
    pool = PoolFactory(network="10.20.0.0/23", gateway="10.20.0.1", vlan=120)
    assignment = ip_allocate(pool=pool, owner="node/a/ipmi")
    assert (assignment.address, assignment.netmask, assignment.prefix_length) == (
        "10.20.0.2",
        "255.255.254.0",
        23,
    )
    assert (assignment.gateway, assignment.vlan, assignment.pool) == ("10.20.0.1", 120, pool.name)


def test_reserved_addresses_ranges_and_subnets_are_never_handed_out():
    pool = PoolFactory(
        network="10.20.0.0/28",
        gateway="10.20.0.1",
        reserved=["10.20.0.2", "10.20.0.4-10.20.0.6", "10.20.0.8/30"],
    )
    expected = ["10.20.0.3", "10.20.0.7", "10.20.0.12", "10.20.0.13", "10.20.0.14"]
    assert addresses(pool, 5) == expected
    with pytest.raises(PoolExhausted):
        ip_allocate(pool=pool, owner="one-too-many")


def test_the_usable_range_is_respected():
    pool = PoolFactory(network="10.20.0.0/24", range_first="10.20.0.250", range_last="10.20.0.253")
    assert addresses(pool, 4) == ["10.20.0.250", "10.20.0.251", "10.20.0.252", "10.20.0.253"]
    with pytest.raises(PoolExhausted):
        ip_allocate(pool=pool, owner="late")


def test_a_full_pool_says_so_by_name_and_changes_nothing():
    pool = PoolFactory(name="ipmi-az1", network="10.20.0.0/29", gateway="10.20.0.1")
    addresses(pool, 5)
    with pytest.raises(PoolExhausted) as raised:
        ip_allocate(pool=pool, owner="node/late/ipmi")
    assert str(raised.value) == (
        "Pool ipmi-az1 (10.20.0.0/29) is full: all 5 of its addresses are allocated."
    )
    assert not Allocation.objects.filter(owner="node/late/ipmi").exists()
    assert ip_allocate(pool=pool, owner="node/1").created is False  # holders still answered


def test_ipv6_pools_hand_out_in_order_too():
    pool = PoolFactory(
        network="2001:db8:20::/64", gateway="2001:db8:20::1", reserved=["2001:db8:20::3"]
    )
    assert addresses(pool, 3) == ["2001:db8:20::2", "2001:db8:20::4", "2001:db8:20::5"]


def test_an_ipv6_pool_at_the_bottom_of_the_address_space_hands_out_ipv6():
    pool = PoolFactory(network="::/120", gateway="::1")
    assert addresses(pool, 2) == ["::2", "::3"]


def test_point_to_point_pools_use_both_addresses():
    pool = PoolFactory(network="10.20.0.0/31", gateway=None)
    assert addresses(pool, 2) == ["10.20.0.0", "10.20.0.1"]


def test_a_released_address_is_handed_out_again_lowest_first():
    pool = PoolFactory(network="10.20.0.0/24")
    addresses(pool, 5)
    assert ip_release(owner="node/1", pool=pool) == ["10.20.0.3"]
    assert ip_release(owner="node/3", pool=pool) == ["10.20.0.5"]
    assert addresses(pool, 3, prefix="new") == ["10.20.0.3", "10.20.0.5", "10.20.0.7"]


def test_release_without_a_pool_frees_the_owner_everywhere():
    ipmi, service = PoolFactory(network="10.20.0.0/24"), PoolFactory(network="10.21.0.0/24")
    ip_allocate(pool=ipmi, owner="node/7")
    ip_allocate(pool=service, owner="node/7")
    ip_allocate(pool=service, owner="node/8")
    assert sorted(ip_release(owner="node/7")) == ["10.20.0.2", "10.21.0.2"]
    assert list(Allocation.objects.values_list("owner", flat=True)) == ["node/8"]


def test_releasing_what_is_not_held_releases_nothing():
    pool = PoolFactory()
    assert ip_release(owner="nobody", pool=pool) == []
    assert ip_release(owner="nobody") == []


@pytest.mark.parametrize("owner", ["", "   ", "x" * 256, "node/1\nnode/2", "tab\there"])
def test_a_bad_owner_is_refused_and_changes_nothing(owner):
    pool = PoolFactory()
    with pytest.raises(ValidationError) as raised:
        ip_allocate(pool=pool, owner=owner)
    assert "owner" in raised.value.message_dict
    assert not Allocation.objects.exists()


def test_an_unknown_pool_is_named():
    with pytest.raises(PoolNotFound, match="There is no pool 'nope'"):
        ip_allocate(pool="nope", owner="node/1")


def test_allocate_for_picks_the_pool_serving_the_purpose_and_zone():
    PoolFactory(name="ipmi-az2", purpose="ipmi", availability_zone="az2", network="10.30.0.0/24")
    PoolFactory(name="svc-az1", purpose="service", availability_zone="az1", network="10.31.0.0/24")
    PoolFactory(name="ipmi-az1", purpose="ipmi", availability_zone="az1", network="10.32.0.0/24")
    assignment = ip_allocate_for(purpose="ipmi", availability_zone="az1", owner="node/u/ipmi")
    assert (assignment.pool, assignment.address) == ("ipmi-az1", "10.32.0.2")


def test_allocate_for_moves_on_when_a_pool_is_full_and_stays_idempotent():
    PoolFactory(name="a-small", purpose="ipmi", network="10.30.0.0/30", gateway="10.30.0.1")
    PoolFactory(name="b-large", purpose="ipmi", network="10.31.0.0/24")
    first = ip_allocate_for(purpose="ipmi", availability_zone="az1", owner="node/1")
    second = ip_allocate_for(purpose="ipmi", availability_zone="az1", owner="node/2")
    again = ip_allocate_for(purpose="ipmi", availability_zone="az1", owner="node/2")
    assert (first.pool, first.address) == ("a-small", "10.30.0.2")
    assert (second.pool, second.address) == ("b-large", "10.31.0.2")
    assert (again.address, again.created) == ("10.31.0.2", False)


def test_allocate_for_names_what_is_missing_or_full():
    with pytest.raises(PoolNotFound, match="No ipmi pool serves availability zone az9"):
        ip_allocate_for(purpose="ipmi", availability_zone="az9", owner="node/1")
    PoolFactory(name="tiny", purpose="ipmi", network="10.30.0.0/30", gateway="10.30.0.1")
    ip_allocate_for(purpose="ipmi", availability_zone="az1", owner="node/1")
    with pytest.raises(PoolExhausted, match=r"Every ipmi pool of availability zone az1 .*tiny"):
        ip_allocate_for(purpose="ipmi", availability_zone="az1", owner="node/2")
    with pytest.raises(ValidationError, match="'bmc' is not a purpose"):
        ip_allocate_for(purpose="bmc", availability_zone="az1", owner="node/3")


def test_reserve_gives_exactly_that_address_and_allocation_skips_it():
    pool = PoolFactory(network="10.20.0.0/24")
    reserved = ip_reserve(pool=pool, address="10.20.0.3", owner="switch/tor-a", note="ToR")
    assert (reserved.address, reserved.created) == ("10.20.0.3", True)
    assert addresses(pool, 2) == ["10.20.0.2", "10.20.0.4"]
    again = ip_reserve(pool=pool, address="10.20.0.3", owner="switch/tor-a")
    assert (again.address, again.created) == ("10.20.0.3", False)
    assert Allocation.objects.get(owner="switch/tor-a").note == "ToR"


def test_reserve_refuses_an_address_held_by_someone_else():
    pool = PoolFactory(name="svc", network="10.20.0.0/24")
    ip_allocate(pool=pool, owner="node/1")
    with pytest.raises(AddressInUse, match="10.20.0.2 in pool svc is held by node/1"):
        ip_reserve(pool=pool, address="10.20.0.2", owner="node/2")


def test_reserve_refuses_a_second_address_for_one_owner():
    pool = PoolFactory(name="svc", network="10.20.0.0/24")
    ip_allocate(pool=pool, owner="node/1")
    with pytest.raises(OwnerHasAddress, match="node/1 already holds 10.20.0.2 in pool svc"):
        ip_reserve(pool=pool, address="10.20.0.9", owner="node/1")


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.99.0.5", "10.99.0.5 is not in 10.20.0.0/24: pool svc does not hand it out."),
        ("10.20.0.1", "10.20.0.1 is the gateway"),
        ("10.20.0.12", "10.20.0.12 is reserved (10.20.0.10-10.20.0.19)"),
        ("10.20.0.255", "10.20.0.255 is the broadcast address"),
        ("2001:db8::1", "2001:db8::1 is not in 10.20.0.0/24"),
    ],
)
def test_reserve_refuses_what_the_pool_does_not_hand_out(address, reason):
    pool = PoolFactory(name="svc", network="10.20.0.0/24", reserved=["10.20.0.10-10.20.0.19"])
    with pytest.raises(AddressOutsidePool) as raised:
        ip_reserve(pool=pool, address=address, owner="node/1")
    assert str(raised.value).startswith(reason)
    assert not Allocation.objects.exists()


def test_reserve_refuses_what_is_not_an_address():
    pool = PoolFactory()
    with pytest.raises(ValidationError) as raised:
        ip_reserve(pool=pool, address="10.20.0.300", owner="node/1")
    assert raised.value.message_dict == {"address": ["10.20.0.300 is not an IP address."]}
