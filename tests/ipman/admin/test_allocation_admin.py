import pytest
from django.urls import reverse

from ipman.models import Allocation
from ipman.services import ip_allocate
from tests.ipman.factories import PoolFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:ipman_allocation_changelist")
ADD = reverse("admin:ipman_allocation_add")


@pytest.fixture
def pool():
    pool = PoolFactory(name="ipmi-az1", network="10.50.0.0/24", gateway="10.50.0.1")
    for n in range(12):
        ip_allocate(pool=pool, owner=f"node/{n:04d}/ipmi")
    return pool


def listed_owners(response) -> set[str]:
    return {a.owner for a in response.context["cl"].result_list}


@pytest.mark.parametrize(
    ("term", "owners"),
    [
        ("10.50.0.7", {"node/0005/ipmi"}),
        ("node/0011", {"node/0011/ipmi"}),
        ("0003/ipmi", {"node/0003/ipmi"}),
    ],
)
def test_allocations_are_found_by_address_or_owner(admin_client, pool, term, owners):
    response = admin_client.get(CHANGELIST, {"q": term})
    assert listed_owners(response) == owners


def test_adding_an_allocation_reserves_that_address(admin_client, pool):
    form = {"pool": pool.pk, "address": "10.50.0.200", "owner": "switch/tor-a", "note": "ToR"}
    assert admin_client.post(ADD, form).status_code == 302
    assert Allocation.objects.get(owner="switch/tor-a").address == "10.50.0.200"


@pytest.mark.parametrize(
    ("address", "owner", "message"),
    [
        ("10.50.0.2", "switch/tor-a", "10.50.0.2 in pool ipmi-az1 is held by node/0000/ipmi."),
        ("10.50.0.1", "switch/tor-a", "10.50.0.1 is the gateway: pool ipmi-az1 does not"),
        ("10.99.0.1", "switch/tor-a", "10.99.0.1 is not in 10.50.0.0/24"),
        ("10.50.0.99", "node/0001/ipmi", "node/0001/ipmi already holds 10.50.0.3 in pool"),
    ],
)
def test_a_conflicting_reservation_is_refused(admin_client, pool, address, owner, message):
    form = {"pool": pool.pk, "address": address, "owner": owner, "note": ""}
    response = admin_client.post(ADD, form)
    assert response.status_code == 200
    assert message in " ".join(str(e) for e in response.context["errors"])
    assert Allocation.objects.count() == 12


def test_deleting_an_allocation_releases_the_address(admin_client, pool):
    allocation = Allocation.objects.get(address="10.50.0.4")
    delete = reverse("admin:ipman_allocation_delete", args=[allocation.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert ip_allocate(pool=pool, owner="node/new").address == "10.50.0.4"


def test_only_the_note_of_an_allocation_is_edited(admin_client, pool):
    allocation = Allocation.objects.get(address="10.50.0.4")
    change = reverse("admin:ipman_allocation_change", args=[allocation.pk])
    form = {"note": "rack 12", "address": "10.50.0.99", "owner": "someone-else"}
    assert admin_client.post(change, form).status_code == 302
    stored = Allocation.objects.get(pk=allocation.pk)
    assert (stored.note, stored.address, stored.owner) == ("rack 12", "10.50.0.4", "node/0002/ipmi")
