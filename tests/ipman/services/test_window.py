"""Pools larger than one batch of free addresses (IPMAN_WINDOW_BATCH, 4 here) behave as one."""

import pytest

from ipman.errors import PoolExhausted
from ipman.services import ip_allocate, ip_release, ip_reserve, pool_update
from tests.ipman.factories import PoolFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_batches(settings):
    settings.IPMAN_WINDOW_BATCH = 4


def allocate(pool, count: int, prefix: str = "node") -> list[str]:
    return [ip_allocate(pool=pool, owner=f"{prefix}/{n}").address for n in range(count)]


def test_a_pool_is_handed_out_in_order_across_batches_until_full():
    pool = PoolFactory(network="10.20.0.0/27", gateway="10.20.0.1")
    assert allocate(pool, 29) == [f"10.20.0.{n}" for n in range(2, 31)]
    with pytest.raises(PoolExhausted):
        ip_allocate(pool=pool, owner="late")


def test_an_ipv6_pool_is_handed_out_in_order_across_batches():
    pool = PoolFactory(network="2001:db8:20::/64", gateway="2001:db8:20::1")
    assert allocate(pool, 10) == [f"2001:db8:20::{n:x}" for n in range(2, 12)]


def test_an_address_reserved_ahead_of_the_window_is_skipped_when_reached():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1")
    ip_reserve(pool=pool, address="10.20.0.9", owner="switch/a")
    assert allocate(pool, 9) == [*(f"10.20.0.{n}" for n in range(2, 9)), "10.20.0.10", "10.20.0.11"]


def test_an_address_released_ahead_of_the_window_comes_in_its_turn():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1")
    ip_reserve(pool=pool, address="10.20.0.20", owner="switch/a")
    ip_release(owner="switch/a")
    assert allocate(pool, 20) == [f"10.20.0.{n}" for n in range(2, 22)]


def test_a_settings_change_skips_the_addresses_already_allocated():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1")
    allocate(pool, 10)  # .2 to .11, over three batches
    pool = pool_update(pool=pool, reserved=["10.20.0.13"])
    assert allocate(pool, 3, prefix="later") == ["10.20.0.12", "10.20.0.14", "10.20.0.15"]
    ip_release(owner="node/4")
    assert ip_allocate(pool=pool, owner="again").address == "10.20.0.6"
