import pytest
from rest_framework.test import APIClient

from ipman.models import Allocation, Pool
from ipman.services import ip_allocate
from tests.ipman.factories import PoolFactory, api_client

pytestmark = pytest.mark.django_db
POOLS = "/api/v1/ipman/pools/"
ALL_POOL_PERMISSIONS = (
    "ipman.view_pool",
    "ipman.add_pool",
    "ipman.change_pool",
    "ipman.delete_pool",
)


@pytest.fixture
def operator():
    return api_client(*ALL_POOL_PERMISSIONS, "ipman.add_allocation", "ipman.delete_allocation")


def new_pool(**overrides) -> dict:
    body = {
        "name": "ipmi-az1",
        "purpose": "ipmi",
        "availability_zone": "az1",
        "network": "10.50.0.0/26",
        "gateway": "10.50.0.1",
        "vlan": 120,
        "reserved": ["10.50.0.2-10.50.0.4"],
    }
    return {**body, **overrides}


def test_without_a_token_the_api_answers_401():
    response = APIClient().get(POOLS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert APIClient().post(POOLS, new_pool()).status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert bad.get(POOLS).status_code == 401


def test_a_user_without_permissions_is_refused():
    PoolFactory()
    nobody = api_client()
    assert nobody.get(POOLS).status_code == 403
    assert nobody.post(POOLS, new_pool()).status_code == 403
    reader = api_client("ipman.view_pool", username="reader")
    assert reader.get(POOLS).status_code == 200
    assert reader.post(POOLS, new_pool()).status_code == 403


def test_create_read_update_and_delete_a_pool(operator):
    created = operator.post(POOLS, new_pool())
    assert created.status_code == 201, created.data
    pool = created.data
    assert (pool["network"], pool["used"], pool["total"]) == ("10.50.0.0/26", 0, 58)
    url = f"{POOLS}{pool['id']}/"
    assert operator.get(url).data["reserved"] == ["10.50.0.2-10.50.0.4"]
    changed = operator.patch(url, {"vlan": 121, "description": "BMCs of row 12"})
    assert (changed.status_code, changed.data["vlan"]) == (200, 121)
    listed = operator.get(POOLS).data
    assert [p["name"] for p in listed["results"]] == ["ipmi-az1"]
    assert operator.delete(url).status_code == 204
    assert not Pool.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"network": "10.50.0.9/26"}, "network", "has host bits set: the network is 10.50.0.0/26"),
        ({"network": "nope"}, "network", "nope is not a network"),
        ({"gateway": "10.9.9.9"}, "gateway", "The gateway 10.9.9.9 is not in 10.50.0.0/26."),
        ({"gateway": "banana"}, "gateway", "Enter a valid IPv4 or IPv6 address."),
        ({"vlan": 0}, "vlan", "Ensure this value is greater than or equal to 1."),
        ({"purpose": "bmc"}, "purpose", '"bmc" is not a valid choice.'),
        ({"reserved": ["10.60.0.1"]}, "reserved", "The reserved address 10.60.0.1 is not in"),
        ({"name": None}, "name", "This field may not be null."),
    ],
)
def test_bad_input_gets_400_with_field_errors(operator, overrides, field, message):
    response = operator.post(POOLS, new_pool(**overrides))
    assert response.status_code == 400
    assert message in str(response.data["error"]["fields"][field])
    assert not Pool.objects.exists()


def test_an_overlapping_pool_gets_400_naming_the_other(operator):
    PoolFactory(name="svc-az1", network="10.50.0.0/24")
    response = operator.post(POOLS, new_pool())
    assert response.status_code == 400
    assert response.data["error"]["fields"]["network"] == [
        "10.50.0.0/26 overlaps pool svc-az1 (10.50.0.0/24)."
    ]


def test_a_pool_in_use_keeps_its_network_and_is_not_deleted(operator):
    pool = PoolFactory(name="ipmi-az1", network="10.50.0.0/24")
    ip_allocate(pool=pool, owner="node/1")
    url = f"{POOLS}{pool.pk}/"
    moved = operator.patch(url, {"network": "10.70.0.0/24", "gateway": None})
    assert moved.status_code == 400
    assert (
        "cannot change while the pool has 1 allocations"
        in moved.data["error"]["fields"]["network"][0]
    )
    deleted = operator.delete(url)
    assert deleted.status_code == 409
    assert deleted.data["error"]["message"] == (
        "Pool ipmi-az1 has 1 allocations: release them before deleting it."
    )
    assert Pool.objects.get().network == "10.50.0.0/24"


def test_allocate_answers_201_then_200_with_the_same_body(operator):
    pool = PoolFactory(name="ipmi-az1", network="10.50.0.0/24", gateway="10.50.0.1", vlan=120)
    url = f"{POOLS}{pool.pk}/allocate/"
    first = operator.post(url, {"owner": "node/4c4c4544/ipmi"})
    again = operator.post(url, {"owner": "node/4c4c4544/ipmi"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.data == again.data
    assert first.data["address"] == "10.50.0.2"
    assert (first.data["owner"], first.data["pool"]) == ("node/4c4c4544/ipmi", pool.pk)
    assert (first.data["prefix_length"], first.data["gateway"], first.data["vlan"]) == (
        24,
        "10.50.0.1",
        120,
    )


def test_allocating_from_a_full_pool_answers_409_naming_it(operator):
    pool = PoolFactory(name="ipmi-az1", network="10.50.0.0/30", gateway="10.50.0.1")
    url = f"{POOLS}{pool.pk}/allocate/"
    assert operator.post(url, {"owner": "node/1"}).status_code == 201
    full = operator.post(url, {"owner": "node/2"})
    assert full.status_code == 409
    assert full.data["error"]["message"].startswith("Pool ipmi-az1 (10.50.0.0/30) is full")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "owner"),
        ({"owner": ""}, "owner"),
        ({"owner": "a\nb"}, "owner"),
        ({"owner": "x" * 256}, "owner"),
    ],
)
def test_allocating_with_a_bad_owner_answers_400(operator, body, field):
    pool = PoolFactory()
    response = operator.post(f"{POOLS}{pool.pk}/allocate/", body)
    assert response.status_code == 400
    assert field in response.data["error"]["fields"]
    assert not Allocation.objects.exists()


def test_allocating_from_an_unknown_pool_answers_404(operator):
    assert operator.post(f"{POOLS}999/allocate/", {"owner": "node/1"}).status_code == 404


def test_allocating_needs_the_add_allocation_permission():
    pool = PoolFactory()
    reader = api_client("ipman.view_pool", "ipman.change_pool")
    assert reader.post(f"{POOLS}{pool.pk}/allocate/", {"owner": "node/1"}).status_code == 403


def test_release_frees_the_owner_address(operator):
    pool = PoolFactory(network="10.50.0.0/24", gateway="10.50.0.1")
    operator.post(f"{POOLS}{pool.pk}/allocate/", {"owner": "node/1"})
    released = operator.post(f"{POOLS}{pool.pk}/release/", {"owner": "node/1"})
    assert released.status_code == 200
    assert released.data == {"owner": "node/1", "pool": pool.pk, "released": ["10.50.0.2"]}
    nothing = operator.post(f"{POOLS}{pool.pk}/release/", {"owner": "node/1"})
    assert nothing.data["released"] == []
    assert operator.post(f"{POOLS}{pool.pk}/release/", {}).status_code == 400


def test_reserve_answers_201_then_200_and_409_or_400_on_conflicts(operator):
    pool = PoolFactory(name="svc", network="10.50.0.0/24", gateway="10.50.0.1")
    url = f"{POOLS}{pool.pk}/reserve/"
    body = {"owner": "vip/api", "address": "10.50.0.100"}
    assert operator.post(url, body).status_code == 201
    assert operator.post(url, body).status_code == 200
    taken = operator.post(url, {"owner": "vip/web", "address": "10.50.0.100"})
    assert (taken.status_code, taken.data["error"]["message"]) == (
        409,
        "10.50.0.100 in pool svc is held by vip/api.",
    )
    gateway = operator.post(url, {"owner": "vip/web", "address": "10.50.0.1"})
    assert gateway.status_code == 400
    assert gateway.data["error"]["fields"]["address"][0].startswith("10.50.0.1 is the gateway")
    assert operator.post(url, {"owner": "vip/web", "address": "nope"}).status_code == 400
