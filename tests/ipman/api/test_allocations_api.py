import pytest

from ipman.services import ip_allocate
from tests.ipman.factories import PoolFactory, api_client

pytestmark = pytest.mark.django_db
ALLOCATIONS = "/api/v1/ipman/allocations/"


@pytest.fixture
def pools():
    ipmi = PoolFactory(name="ipmi-az1", network="10.50.0.0/24", gateway="10.50.0.1")
    service = PoolFactory(name="svc-az1", network="2001:db8:50::/64", gateway="2001:db8:50::1")
    for n in range(3):
        ip_allocate(pool=ipmi, owner=f"node/{n}/ipmi")
        ip_allocate(pool=service, owner=f"node/{n}/svc")
    ip_allocate(pool=service, owner="node/0/ipmi")
    return ipmi, service


@pytest.fixture
def reader():
    return api_client("ipman.view_allocation")


def owners(response) -> list[str]:
    assert response.status_code == 200, response.data
    return [allocation["owner"] for allocation in response.data["results"]]


def test_allocations_list_with_their_pool(reader, pools):
    response = reader.get(ALLOCATIONS)
    assert response.data["count"] == 7
    first = response.data["results"][0]
    assert {k: first[k] for k in ("pool_name", "address", "owner")} == {
        "pool_name": "ipmi-az1",
        "address": "10.50.0.2",
        "owner": "node/0/ipmi",
    }


def test_allocations_filter_by_owner_address_and_pool(reader, pools):
    ipmi, service = pools
    assert owners(reader.get(ALLOCATIONS, {"owner": "node/0/ipmi"})) == ["node/0/ipmi"] * 2
    assert owners(reader.get(ALLOCATIONS, {"address": "10.50.0.3"})) == ["node/1/ipmi"]
    assert owners(reader.get(ALLOCATIONS, {"address": "2001:DB8:50:0::4"})) == ["node/2/svc"]
    assert owners(reader.get(ALLOCATIONS, {"address": "192.0.2.1"})) == []
    both = reader.get(ALLOCATIONS, {"pool": service.pk, "owner": "node/0/ipmi"})
    assert owners(both) == ["node/0/ipmi"]
    assert len(owners(reader.get(ALLOCATIONS, {"pool": ipmi.pk}))) == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [({"address": "10.50.0.300"}, "address"), ({"pool": "x"}, "pool"), ({"pool": 999}, "pool")],
)
def test_bad_filters_answer_400(reader, pools, query, field):
    response = reader.get(ALLOCATIONS, query)
    assert response.status_code == 400
    assert field in response.data["error"]["fields"]


def test_reading_allocations_needs_the_view_permission(pools):
    assert api_client("ipman.view_pool").get(ALLOCATIONS).status_code == 403
