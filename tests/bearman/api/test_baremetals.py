"""Baremetals through the API: create, redeploy, release, and the state table's refusals."""

import pytest

from bearman.models import Baremetal, EventKind
from bearman.states import DeployStatus
from ipman.models import Allocation
from tests.bearman.api.conftest import error_of
from tests.factories import BaremetalFactory, FlavorFactory, NodeFactory, ProfileFactory
from tests.ipman.factories import PoolFactory

pytestmark = pytest.mark.django_db

BAREMETALS = "/api/v1/baremetals/"


def test_create_starts_a_baremetal_with_the_flavors_vlan(operator):
    node = NodeFactory(flavor=FlavorFactory(vlan=120))
    ProfileFactory(name="noble")
    response = operator.post(
        BAREMETALS, {"node": node.uuid.upper(), "profile": "noble", "hostname": "web01"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["node"], body["status"], body["vlan"]) == (node.uuid, "deploy_start", 120)
    assert body["deploy_started_at"]
    event = node.events.get(kind=EventKind.BAREMETAL)
    assert event.actor == "operator"
    assert "agent_token_hash" not in body


def test_create_refuses_bad_input_with_field_messages(operator):
    taken = BaremetalFactory(hostname="web01")
    response = operator.post(
        BAREMETALS,
        {"node": taken.node.uuid, "profile": "missing", "hostname": "web01", "vlan": 0},
    )
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"node", "profile", "hostname", "vlan"}
    response = operator.post(BAREMETALS, {"node": NodeFactory().uuid, "hostname": "-bad-"})
    assert set(error_of(response)["fields"]) == {"profile", "hostname"}
    assert Baremetal.objects.count() == 1


def test_list_filters_by_status_node_and_profile(reader):
    installed = BaremetalFactory(status=DeployStatus.INSTALLED)
    BaremetalFactory()
    body = reader.get(BAREMETALS, {"status": "installed"}).json()
    assert [b["hostname"] for b in body["results"]] == [installed.hostname]
    body = reader.get(BAREMETALS, {"node": installed.node.uuid.upper()}).json()
    assert body["count"] == 1
    assert reader.get(BAREMETALS, {"profile": installed.profile.name}).json()["count"] == 1


@pytest.mark.parametrize("status", [DeployStatus.INSTALLED, DeployStatus.UNRECOVERABLE_ERROR])
def test_redeploy_starts_over(operator, status):
    baremetal = BaremetalFactory(status=status, last_error="disk full")
    response = operator.post(f"{BAREMETALS}{baremetal.pk}/redeploy/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "deploy_start"
    baremetal.refresh_from_db()
    assert (baremetal.status, baremetal.last_error) == ("deploy_start", "")


def test_redeploying_a_running_baremetal_is_a_409(operator):
    baremetal = BaremetalFactory(status=DeployStatus.DEPLOYING)
    response = operator.post(f"{BAREMETALS}{baremetal.pk}/redeploy/")
    assert response.status_code == 409
    assert "Deploying" in error_of(response)["message"]
    baremetal.refresh_from_db()
    assert baremetal.status == "deploying"


def test_release_forgets_the_baremetal(operator):
    baremetal = BaremetalFactory()
    response = operator.post(f"{BAREMETALS}{baremetal.pk}/release/")
    assert response.status_code == 204
    assert not Baremetal.objects.exists()
    assert baremetal.node.events.filter(message__contains="removed").exists()
    assert operator.post(f"{BAREMETALS}{baremetal.pk}/release/").status_code == 404


def test_actions_need_their_own_permissions(client_for):
    baremetal = BaremetalFactory(status=DeployStatus.INSTALLED)
    creator = client_for(["bearman.view_baremetal", "bearman.add_baremetal"])
    assert creator.post(f"{BAREMETALS}{baremetal.pk}/redeploy/").status_code == 403
    assert creator.post(f"{BAREMETALS}{baremetal.pk}/release/").status_code == 403
    changer = client_for(["bearman.change_baremetal"])
    assert changer.post(f"{BAREMETALS}{baremetal.pk}/redeploy/").status_code == 200
    assert changer.post(BAREMETALS, {}).status_code == 403
    baremetal.refresh_from_db()
    assert baremetal.status == "deploy_start"


def test_create_takes_service_addresses_from_the_flavors_pools(operator):
    PoolFactory(name="svc-az1", network="10.60.0.0/24", gateway="10.60.0.1", vlan=60)
    flavor = FlavorFactory(service_pools=["svc-az1"], bond_mode="802.3ad")
    node = NodeFactory(flavor=flavor)
    response = operator.post(
        BAREMETALS, {"node": node.uuid, "profile": flavor.default_profile.name, "hostname": "db01"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["addresses"] == [
        {
            "interface": "bond0",
            "address": "10.60.0.2",
            "prefix": 24,
            "gateway": "10.60.0.1",
            "vlan": 60,
            "pool": "svc-az1",
        }
    ]
    released = operator.post(f"{BAREMETALS}{response.json()['id']}/release/")
    assert released.status_code == 204
    assert not Allocation.objects.exists()


def test_a_full_pool_is_a_409_naming_it_and_nothing_is_kept(operator):
    PoolFactory(name="tiny", network="10.61.0.0/30", gateway="10.61.0.1")  # one usable address
    flavor = FlavorFactory(service_pools=["tiny"])
    first, second = NodeFactory(flavor=flavor), NodeFactory(flavor=flavor)
    profile = flavor.default_profile.name
    assert (
        operator.post(BAREMETALS, {"node": first.uuid, "profile": profile, "hostname": "a"})
    ).status_code == 201
    response = operator.post(BAREMETALS, {"node": second.uuid, "profile": profile, "hostname": "b"})
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "pool_exhausted"
    assert "tiny" in error["message"]
    assert not Baremetal.objects.filter(node=second).exists()
    assert Allocation.objects.count() == 1
