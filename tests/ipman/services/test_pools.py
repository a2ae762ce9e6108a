import pytest
from django.core.exceptions import ValidationError

from ipman.errors import PoolInUse, PoolNotFound
from ipman.models import Allocation, FreeAddress, Pool
from ipman.services import ip_allocate, ip_release, pool_create, pool_delete, pool_update
from tests.ipman.factories import PoolFactory

pytestmark = pytest.mark.django_db


def refused(**kwargs) -> dict:
    with pytest.raises(ValidationError) as raised:
        pool_create(**{"name": "new", "purpose": "service", **kwargs})
    return raised.value.message_dict


def test_a_pool_is_stored_in_canonical_form():
    pool = pool_create(
        name="svc-az1",
        network=" 2001:DB8:0:0::/64 ",
        purpose="service",
        gateway="2001:DB8::1",
        reserved=["2001:db8::0010-2001:db8::001f", "2001:db8::ff"],
    )
    stored = Pool.objects.get(pk=pool.pk)
    assert (stored.network, stored.gateway) == ("2001:db8::/64", "2001:db8::1")
    assert stored.reserved == ["2001:db8::10-2001:db8::1f", "2001:db8::ff"]


def test_overlapping_networks_are_refused_naming_the_other_pool():
    PoolFactory(name="ipmi-az1", network="10.20.0.0/24")
    PoolFactory(name="v6", network="2001:db8::/48", gateway=None)
    assert refused(network="10.20.0.128/25") == {
        "network": ["10.20.0.128/25 overlaps pool ipmi-az1 (10.20.0.0/24)."]
    }
    assert refused(network="10.0.0.0/8")["network"][0].startswith("10.0.0.0/8 overlaps pool")
    assert refused(network="2001:db8:0:1::/64") == {
        "network": ["2001:db8:0:1::/64 overlaps pool v6 (2001:db8::/48)."]
    }
    assert list(Pool.objects.values_list("name", flat=True)) == ["ipmi-az1", "v6"]


def test_neighbouring_networks_and_other_families_do_not_overlap():
    PoolFactory(network="10.20.0.0/24")
    pool_create(name="next-door", network="10.20.1.0/24", purpose="ipmi")
    pool_create(name="v6", network="::/0", purpose="service")
    assert Pool.objects.count() == 3


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"network": "10.20.0.0/33"}, "network"),
        ({"network": "10.20.0.7/24"}, "network"),
        ({"network": "10.20.0.0/24", "gateway": "10.21.0.1"}, "gateway"),
        ({"network": "10.20.0.0/24", "vlan": 4095}, "vlan"),
        ({"network": "10.20.0.0/24", "vlan": 0}, "vlan"),
        ({"network": "10.20.0.0/24", "purpose": "bmc"}, "purpose"),
        ({"network": "10.20.0.0/24", "name": "has spaces"}, "name"),
        ({"network": "10.20.0.0/24", "reserved": ["10.20.9.9"]}, "reserved"),
        ({"network": "10.20.0.0/24", "range_first": "10.20.0.0"}, "range_first"),
    ],
)
def test_bad_settings_are_refused_by_field_and_create_nothing(given, field):
    assert field in refused(**given)
    assert not Pool.objects.exists()


def test_pool_names_are_unique():
    PoolFactory(name="svc")
    assert "name" in refused(name="svc", network="10.99.0.0/24")


def test_an_unused_pool_may_move_to_another_network():
    pool = PoolFactory(network="10.20.0.0/24")
    ip_allocate(pool=pool, owner="node/1")
    ip_release(owner="node/1")
    moved = pool_update(pool=pool, network="10.40.0.0/24", gateway="10.40.0.1")
    assert ip_allocate(pool=moved, owner="node/2").address == "10.40.0.2"


def test_the_network_cannot_change_while_addresses_are_allocated():
    pool = PoolFactory(network="10.20.0.0/24")
    ip_allocate(pool=pool, owner="node/1")
    with pytest.raises(ValidationError) as raised:
        pool_update(pool=pool, network="10.40.0.0/24", gateway=None)
    assert raised.value.message_dict["network"] == [
        "The network cannot change while the pool has 1 allocations (it is 10.20.0.0/24); "
        "release them first."
    ]
    assert Pool.objects.get(pk=pool.pk).network == "10.20.0.0/24"
    assert ip_allocate(pool=pool, owner="node/2").address == "10.20.0.3"


def test_new_reservations_keep_their_holders_and_are_skipped_from_then_on():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1")
    for n in range(3):
        ip_allocate(pool=pool, owner=f"node/{n}")  # .2 .3 .4
    pool = pool_update(pool=pool, reserved=["10.20.0.3-10.20.0.6"])
    assert ip_allocate(pool=pool, owner="node/1").address == "10.20.0.3"  # still held
    assert ip_allocate(pool=pool, owner="node/9").address == "10.20.0.7"
    ip_release(owner="node/1")
    assert ip_allocate(pool=pool, owner="node/10").address == "10.20.0.8"  # .3 is reserved now


def test_a_new_gateway_is_skipped_and_the_old_one_handed_out():
    pool = PoolFactory(network="10.20.0.0/29", gateway="10.20.0.1")
    pool = pool_update(pool=pool, gateway="10.20.0.6")
    owners = [ip_allocate(pool=pool, owner=f"n{n}").address for n in range(5)]
    assert owners == ["10.20.0.1", "10.20.0.2", "10.20.0.3", "10.20.0.4", "10.20.0.5"]


def test_a_bad_update_changes_nothing():
    pool = PoolFactory(network="10.20.0.0/24", gateway="10.20.0.1", vlan=12)
    with pytest.raises(ValidationError):
        pool_update(pool=pool, gateway="10.99.0.1", vlan=13)
    stored = Pool.objects.get(pk=pool.pk)
    assert (stored.gateway, stored.vlan) == ("10.20.0.1", 12)
    assert ip_allocate(pool=pool, owner="node/1").address == "10.20.0.2"


def test_update_takes_only_pool_settings():
    with pytest.raises(TypeError, match="cannot change materialized_through"):
        pool_update(pool=PoolFactory(), materialized_through=5)


def test_a_pool_with_allocations_cannot_be_deleted():
    pool = PoolFactory(name="ipmi-az1")
    ip_allocate(pool=pool, owner="node/1")
    with pytest.raises(PoolInUse, match="Pool ipmi-az1 has 1 allocations: release them"):
        pool_delete(pool=pool)
    assert ip_allocate(pool=pool, owner="node/2").address.endswith(".3")


def test_a_deleted_pool_hands_out_nothing_more():
    pool = PoolFactory(name="ipmi-az1")
    ip_allocate(pool=pool, owner="node/1")  # its statements are ready on this connection
    ip_release(owner="node/1")
    pool_delete(pool=pool)
    with pytest.raises(PoolNotFound):
        ip_allocate(pool=pool, owner="node/2")
    assert not Allocation.objects.exists()


def test_an_empty_pool_is_deleted_with_its_free_addresses():
    pool = PoolFactory()
    ip_allocate(pool=pool, owner="node/1")
    ip_release(owner="node/1")
    pool_delete(pool=pool)
    assert not Pool.objects.exists()
    assert not FreeAddress.objects.exists()
