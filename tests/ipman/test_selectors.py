import pytest

from ipman.errors import PoolNotFound
from ipman.selectors import allocation_list, pool_containing, pool_get, pool_usage
from ipman.services import ip_allocate
from tests.ipman.factories import PoolFactory

pytestmark = pytest.mark.django_db


def test_usage_counts_used_and_total_addresses():
    pool = PoolFactory(network="10.70.0.0/26", gateway="10.70.0.1", reserved=["10.70.0.60/30"])
    for n in range(6):
        ip_allocate(pool=pool, owner=f"node/{n}")
    usage = pool_usage(pool=pool)
    assert (usage.used, usage.total, round(usage.percent, 1)) == (6, 58, 10.3)


def test_an_ipv6_pool_counts_its_addresses_exactly():
    pool = PoolFactory(network="2001:db8:70::/64", gateway="2001:db8:70::1")
    assert pool_usage(pool=pool).total == 2**64 - 2


def test_a_pool_is_found_by_itself_its_id_or_its_name():
    pool = PoolFactory(name="ipmi-az1")
    assert pool_get(pool=pool) is pool
    assert pool_get(pool=pool.pk) == pool_get(pool="ipmi-az1") == pool
    with pytest.raises(PoolNotFound, match="There is no pool 999"):
        pool_get(pool=999)


def test_the_pool_holding_an_address_is_found():
    v4 = PoolFactory(network="10.70.0.0/24")
    v6 = PoolFactory(network="2001:db8:70::/64", gateway=None)
    assert pool_containing(address="10.70.0.200") == v4
    assert pool_containing(address="2001:db8:70::abcd") == v6
    assert pool_containing(address="10.71.0.1") is None


def test_allocations_are_looked_up_by_address_or_owner():
    ipmi = PoolFactory(name="ipmi", network="10.70.0.0/24", gateway="10.70.0.1")
    service = PoolFactory(name="svc", network="2001:db8:70::/64", gateway="2001:db8:70::1")
    ip_allocate(pool=ipmi, owner="node/a/ipmi")
    ip_allocate(pool=ipmi, owner="node/b/ipmi")
    ip_allocate(pool=service, owner="node/a/ipmi")
    by_address = allocation_list(address="2001:DB8:70::2")
    assert [(a.pool, a.owner) for a in by_address] == [(service, "node/a/ipmi")]
    by_owner = allocation_list(owner="node/a/ipmi")
    assert [a.address for a in by_owner] == ["10.70.0.2", "2001:db8:70::2"]
    assert [a.owner for a in allocation_list(pool=ipmi)] == ["node/a/ipmi", "node/b/ipmi"]
    assert not allocation_list(address="192.0.2.1").exists()
    assert not allocation_list(pool=ipmi, address="2001:db8:70::2").exists()
