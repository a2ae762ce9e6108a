import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ipman.models import Pool
from ipman.services import ip_allocate
from tests.ipman.factories import PoolFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:ipman_pool_changelist")
ADD = reverse("admin:ipman_pool_add")


def pool_form(**overrides) -> dict:
    form = {
        "name": "ipmi-az1",
        "description": "",
        "purpose": "ipmi",
        "availability_zone": "az1",
        "network": "10.50.0.0/26",
        "gateway": "10.50.0.1",
        "vlan": "120",
        "range_first": "",
        "range_last": "",
        "reserved": "",
    }
    return {**form, **overrides}


def errors_of(response) -> str:
    assert response.status_code == 200, "the form should be shown again with errors"
    return " ".join(str(e) for e in response.context["errors"])


def test_the_pool_list_shows_usage(admin_client):
    pool = PoolFactory(name="ipmi-az1", network="10.50.0.0/26", gateway="10.50.0.1")
    for n in range(3):
        ip_allocate(pool=pool, owner=f"node/{n}")
    page = admin_client.get(CHANGELIST).content.decode()
    assert "ipmi-az1" in page and "10.50.0.0/26" in page
    assert "3 / 61 (4.9 %)" in page


def test_the_pool_list_costs_the_same_queries_for_2_or_12_pools(admin_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(CHANGELIST).status_code == 200
        return len(captured.captured_queries)

    for pool in PoolFactory.create_batch(2):
        ip_allocate(pool=pool, owner="node/1")
    few = queries()
    for pool in PoolFactory.create_batch(10):
        ip_allocate(pool=pool, owner="node/1")
    assert queries() == few


def test_adding_a_pool_makes_it_ready_to_hand_out(admin_client):
    form = pool_form(reserved="10.50.0.2\n10.50.0.3-10.50.0.4, 10.50.0.8/30")
    response = admin_client.post(ADD, form)
    assert response.status_code == 302
    pool = Pool.objects.get()
    assert pool.reserved == ["10.50.0.2", "10.50.0.3-10.50.0.4", "10.50.0.8-10.50.0.11"]
    assert ip_allocate(pool=pool, owner="node/1").address == "10.50.0.5"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"network": "10.50.0.5/26"},
            "10.50.0.5/26 has host bits set: the network is 10.50.0.0/26.",
        ),
        ({"network": "10.50.0.0/40"}, "10.50.0.0/40 is not a network"),
        ({"gateway": "10.51.0.1"}, "The gateway 10.51.0.1 is not in 10.50.0.0/26."),
        ({"reserved": "10.50.0.9-10.50.0.4"}, "The reserved range 10.50.0.9-10.50.0.4 ends before"),
        ({"vlan": "5000"}, "Ensure this value is less than or equal to 4094."),
    ],
)
def test_bad_pools_are_refused_with_a_clear_message(admin_client, overrides, message):
    response = admin_client.post(ADD, pool_form(**overrides))
    assert message in errors_of(response)
    assert not Pool.objects.exists()


def test_an_overlapping_pool_is_refused_naming_the_other(admin_client):
    PoolFactory(name="svc-az1", network="10.50.0.0/24")
    response = admin_client.post(ADD, pool_form(network="10.50.0.64/26", gateway=""))
    assert "10.50.0.64/26 overlaps pool svc-az1 (10.50.0.0/24)." in errors_of(response)
    assert Pool.objects.count() == 1


def test_the_network_of_a_pool_in_use_cannot_be_changed(admin_client):
    pool = PoolFactory(name="ipmi-az1", network="10.50.0.0/26", gateway="10.50.0.1", vlan=120)
    ip_allocate(pool=pool, owner="node/1")
    change = reverse("admin:ipman_pool_change", args=[pool.pk])
    response = admin_client.post(change, pool_form(network="10.70.0.0/26", gateway="10.70.0.1"))
    assert "The network cannot change while the pool has 1 allocations" in errors_of(response)
    assert Pool.objects.get().network == "10.50.0.0/26"


def test_changing_the_reservations_takes_effect(admin_client):
    pool = PoolFactory(name="ipmi-az1", network="10.50.0.0/26", gateway="10.50.0.1", vlan=120)
    change = reverse("admin:ipman_pool_change", args=[pool.pk])
    response = admin_client.post(change, pool_form(reserved="10.50.0.2-10.50.0.9"))
    assert response.status_code == 302
    assert ip_allocate(pool=pool, owner="node/1").address == "10.50.0.10"


def test_a_pool_in_use_is_not_deleted(admin_client):
    pool = PoolFactory(name="ipmi-az1")
    ip_allocate(pool=pool, owner="node/1")
    delete = reverse("admin:ipman_pool_delete", args=[pool.pk])
    response = admin_client.post(delete, {"post": "yes"})
    assert "Cannot delete pool" in response.content.decode()
    assert Pool.objects.exists()


def test_an_empty_pool_is_deleted(admin_client):
    pool = PoolFactory(name="ipmi-az1")
    delete = reverse("admin:ipman_pool_delete", args=[pool.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not Pool.objects.exists()
