"""ip_allocate_many and ip_allocate_many_for: the answers of one ip_allocate per owner."""

import pytest
from django.core.exceptions import ValidationError

from ipman.errors import PoolExhausted, PoolNotFound
from ipman.models import Allocation, FreeAddress, PoolPurpose
from ipman.services import (
    ip_allocate,
    ip_allocate_many,
    ip_allocate_many_for,
    ip_release,
    ip_reserve,
    pool_update,
)
from tests.ipman.factories import PoolFactory

pytestmark = pytest.mark.django_db


def held(pool) -> dict[str, str]:
    return dict(Allocation.objects.filter(pool=pool).values_list("owner", "address"))


def test_new_owners_get_the_lowest_free_addresses_in_their_order():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1", vlan=120)
    answers = ip_allocate_many(pool=pool, owners=["c", "a", "b"])
    assert [(a.owner, a.address, a.created) for a in answers] == [
        ("c", "10.20.0.2", True),
        ("a", "10.20.0.3", True),
        ("b", "10.20.0.4", True),
    ]
    assert (answers[0].netmask, answers[0].gateway, answers[0].vlan) == (
        "255.255.255.0",
        "10.20.0.1",
        120,
    )
    assert held(pool) == {"c": "10.20.0.2", "a": "10.20.0.3", "b": "10.20.0.4"}


def test_owners_keep_what_they_hold_and_new_ones_get_the_next_free():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1")
    ip_allocate(pool=pool, owner="old")
    answers = ip_allocate_many(pool=pool, owners=["new", "old", "new"])
    assert [(a.owner, a.address, a.created) for a in answers] == [
        ("new", "10.20.0.3", True),
        ("old", "10.20.0.2", False),
        ("new", "10.20.0.3", True),  # asked twice: one address
    ]
    again = ip_allocate_many(pool=pool, owners=["old", "new"])
    assert [(a.address, a.created) for a in again] == [("10.20.0.2", False), ("10.20.0.3", False)]
    assert Allocation.objects.count() == 2


def test_released_addresses_go_out_first_lowest_first():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1")
    for n in range(6):
        ip_allocate(pool=pool, owner=f"early/{n}")  # .2 to .7
    ip_release(owner="early/3")  # .5
    ip_release(owner="early/1")  # .3
    answers = ip_allocate_many(pool=pool, owners=["x", "y", "z"])
    assert [a.address for a in answers] == ["10.20.0.3", "10.20.0.5", "10.20.0.8"]


def test_an_address_reserved_by_hand_ahead_of_the_cursor_is_never_handed_out_again():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1")
    ip_reserve(pool=pool, address="10.20.0.4", owner="by-hand")
    answers = ip_allocate_many(pool=pool, owners=[f"n/{n}" for n in range(4)])
    addresses = [a.address for a in answers]
    assert "10.20.0.4" not in addresses and len(set(addresses)) == 4
    assert held(pool)["by-hand"] == "10.20.0.4"
    assert sorted(held(pool).values()) == sorted({*addresses, "10.20.0.4"})


def test_too_many_owners_for_the_pool_are_refused_and_leave_nothing_behind():
    pool = PoolFactory(network="10.20.0.0/29", gateway="10.20.0.1")  # .2 to .6
    ip_allocate(pool=pool, owner="first")
    with pytest.raises(PoolExhausted):
        ip_allocate_many(pool=pool, owners=[f"n/{n}" for n in range(5)])
    assert held(pool) == {"first": "10.20.0.2"}
    # What was refused as a whole still fits owner by owner, lowest first.
    answers = ip_allocate_many(pool=pool, owners=[f"n/{n}" for n in range(4)])
    assert [a.address for a in answers] == ["10.20.0.3", "10.20.0.4", "10.20.0.5", "10.20.0.6"]


def test_a_batch_refused_as_full_leaves_no_held_address_listed_as_free():
    """The sweep lists positions whose claims were still in flight: once those are in, the
    rows are stale. A refused batch drops them; its rollback must not bring them back."""
    pool = PoolFactory(network="10.20.0.0/29", gateway="10.20.0.1")  # .2 to .6
    ip_allocate_many(pool=pool, owners=[f"n/{n}" for n in range(5)])
    stale = "10.20.0.4"
    FreeAddress.objects.create(pool=pool, position=pool.space.position_of(stale), address=stale)
    with pytest.raises(PoolExhausted):
        ip_allocate_many(pool=pool, owners=["late/1", "late/2"])
    assert not FreeAddress.objects.filter(pool=pool).exists()
    assert held(pool)["n/2"] == stale and "late/1" not in held(pool)


def test_a_bad_owner_is_refused_before_anything_is_allocated():
    pool = PoolFactory(network="10.20.0.0/24")
    with pytest.raises(ValidationError):
        ip_allocate_many(pool=pool, owners=["fine", "bad\nowner"])
    assert not Allocation.objects.exists()


def test_a_pool_object_read_before_its_settings_changed_still_allocates_by_the_new_ones():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1")
    stale = type(pool).objects.get(pk=pool.pk)
    pool_update(pool=pool, range_first="10.20.0.100")
    answers = ip_allocate_many(pool=stale, owners=["a", "b"])
    assert [a.address for a in answers] == ["10.20.0.100", "10.20.0.101"]


def test_many_for_a_zone_fills_its_first_pool_then_the_next_as_one_by_one_would():
    first = PoolFactory(
        name="ipmi-a", network="10.20.0.0/30", gateway="10.20.0.1", purpose=PoolPurpose.IPMI
    )  # one address: .2
    second = PoolFactory(
        name="ipmi-b", network="10.21.0.0/24", gateway="10.21.0.1", purpose=PoolPurpose.IPMI
    )
    answers = ip_allocate_many_for(purpose="ipmi", availability_zone="az1", owners=["a", "b"])
    assert [(a.address, a.pool) for a in answers] == [
        ("10.20.0.2", first.name),
        ("10.21.0.2", second.name),
    ]
    again = ip_allocate_many_for(purpose="ipmi", availability_zone="az1", owners=["b", "a", "c"])
    assert [(a.address, a.created) for a in again] == [
        ("10.21.0.2", False),
        ("10.20.0.2", False),
        ("10.21.0.3", True),
    ]


def test_many_for_a_zone_says_when_every_pool_is_full_or_there_is_none():
    PoolFactory(name="ipmi-a", network="10.20.0.0/30", gateway="10.20.0.1", purpose="ipmi")
    with pytest.raises(PoolExhausted, match="Every ipmi pool of availability zone az1 is full"):
        ip_allocate_many_for(purpose="ipmi", availability_zone="az1", owners=["a", "b"])
    assert not Allocation.objects.exists()
    with pytest.raises(PoolNotFound):
        ip_allocate_many_for(purpose="ipmi", availability_zone="az2", owners=["a"])
    with pytest.raises(ValidationError):
        ip_allocate_many_for(purpose="nonsense", availability_zone="az1", owners=["a"])
