"""IPman's API refuses JSON of the wrong type, as Bearman's does, and changes nothing."""

import pytest

from ipman.models import Allocation, Pool
from ipman.services import ip_allocate
from tests.ipman.api.test_pools_api import ALL_POOL_PERMISSIONS, POOLS, new_pool
from tests.ipman.factories import PoolFactory, api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return api_client(*ALL_POOL_PERMISSIONS, "ipman.add_allocation", "ipman.delete_allocation")


def fields_of(response) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"vlan": "12"}, "vlan"),
        ({"vlan": 12.0}, "vlan"),
        ({"vlan": True}, "vlan"),
        ({"name": 7}, "name"),
        ({"network": ["10.0.0.0/24"]}, "network"),
        ({"reserved": "10.50.0.2"}, "reserved"),
        ({"reserved": [2]}, "reserved"),
    ],
)
def test_a_pool_with_a_wrong_json_type_is_refused(operator, change, field):
    response = operator.post(POOLS, new_pool(**change), format="json")
    assert field in fields_of(response)
    assert not Pool.objects.exists()


def test_a_pool_update_with_a_wrong_json_type_changes_nothing(operator):
    pool = PoolFactory(vlan=120)
    response = operator.patch(f"{POOLS}{pool.pk}/", {"vlan": "12"}, format="json")
    assert "vlan" in fields_of(response)
    pool.refresh_from_db()
    assert pool.vlan == 120


@pytest.mark.parametrize("action", ["allocate", "reserve", "release"])
@pytest.mark.parametrize("owner", [0, True, ["node/1"], {"id": 1}])
def test_an_owner_that_is_not_a_string_is_refused(operator, action, owner):
    pool = PoolFactory()
    held = ip_allocate(pool=pool, owner="0")
    body = {"owner": owner, "address": str(held.address)}
    response = operator.post(f"{POOLS}{pool.pk}/{action}/", body, format="json")
    assert "owner" in fields_of(response)
    assert list(Allocation.objects.values_list("owner", flat=True)) == ["0"]


def test_a_note_that_is_not_a_string_is_refused(operator):
    pool = PoolFactory()
    response = operator.post(
        f"{POOLS}{pool.pk}/allocate/", {"owner": "n/1", "note": 5}, format="json"
    )
    assert "note" in fields_of(response)
    assert not Allocation.objects.exists()
