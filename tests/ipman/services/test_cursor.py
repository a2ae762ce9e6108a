"""Fresh addresses come from the pool's cursor, given-back ones from its free table: together
they hand out the lowest free address first, whatever happened before."""

import pytest
from django.db import transaction

from ipman.errors import PoolExhausted
from ipman.models import Allocation
from ipman.services import ip_allocate, ip_release, ip_reserve, pool_update
from tests.ipman.factories import PoolFactory

pytestmark = pytest.mark.django_db


def allocate(pool, count: int, prefix: str = "node") -> list[str]:
    return [ip_allocate(pool=pool, owner=f"{prefix}/{n}").address for n in range(count)]


def allocate_until_full(pool, prefix: str = "fill") -> list[str]:
    handed_out = []
    while True:
        try:
            handed_out.append(ip_allocate(pool=pool, owner=f"{prefix}/{len(handed_out)}").address)
        except PoolExhausted:
            return handed_out


def test_asking_again_does_not_skip_an_address():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1")
    for _ in range(3):
        ip_allocate(pool=pool, owner="node/same")
    assert allocate(pool, 2) == ["10.20.0.3", "10.20.0.4"]


def test_an_address_reserved_ahead_of_the_cursor_is_skipped_when_reached():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1")
    ip_reserve(pool=pool, address="10.20.0.5", owner="switch/a")
    assert allocate(pool, 5) == ["10.20.0.2", "10.20.0.3", "10.20.0.4", "10.20.0.6", "10.20.0.7"]


def test_an_address_released_ahead_of_the_cursor_comes_in_its_turn():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1")
    ip_reserve(pool=pool, address="10.20.0.6", owner="switch/a")
    ip_release(owner="switch/a")
    assert allocate(pool, 6) == [f"10.20.0.{n}" for n in range(2, 8)]


def test_released_addresses_go_out_before_the_cursor_moves_on():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1")
    allocate(pool, 6)  # .2 to .7
    for n in (4, 1):
        ip_release(owner=f"node/{n}")
    assert allocate(pool, 3, prefix="next") == ["10.20.0.3", "10.20.0.6", "10.20.0.8"]


def test_an_allocation_rolled_back_by_the_caller_is_handed_out_before_the_pool_is_full():
    pool = PoolFactory(network="10.20.0.0/29", gateway="10.20.0.1")
    ip_allocate(pool=pool, owner="node/kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        ip_allocate(pool=pool, owner="node/rolled-back")
        raise RuntimeError("the caller's registration failed")
    rest = allocate_until_full(pool)
    assert sorted(["10.20.0.2", *rest]) == [f"10.20.0.{n}" for n in range(2, 7)]
    assert not Allocation.objects.filter(owner="node/rolled-back").exists()


def test_a_settings_change_skips_the_addresses_already_allocated():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1")
    allocate(pool, 10)  # .2 to .11
    ip_release(owner="node/4")  # .6
    pool = pool_update(pool=pool, reserved=["10.20.0.13"])
    assert allocate(pool, 4, prefix="later") == [
        "10.20.0.6",
        "10.20.0.12",
        "10.20.0.14",
        "10.20.0.15",
    ]


def test_a_settings_change_copes_with_addresses_reserved_far_apart():
    pool = PoolFactory(network="2001:db8:20::/64", gateway="2001:db8:20::1")
    ip_reserve(pool=pool, address="2001:db8:20::ffff:ffff", owner="vip/far")
    ip_reserve(pool=pool, address="2001:db8:20::4", owner="vip/near")
    pool = pool_update(pool=pool, reserved=["2001:db8:20::2"])
    assert allocate(pool, 3) == ["2001:db8:20::3", "2001:db8:20::5", "2001:db8:20::6"]
