"""POST /api/v1/nodes/<uuid>/accept/ and /rearm/: who may, and what each does."""

import pytest

from bearman.models import EventKind
from bearman.states import NodeStatus
from tests.factories import NodeFactory

from .conftest import error_of

pytestmark = pytest.mark.django_db
NODE_ACCESS = ["bearman.view_node", "bearman.change_node"]


def test_accept_moves_a_discovered_node_to_registered_and_arms_it(operator):
    node = NodeFactory(status=NodeStatus.DISCOVERED, bmc_address=None)
    response = operator.post(f"/api/v1/nodes/{node.uuid.upper()}/accept/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "registered"
    assert response.json()["reregistration_armed_until"]
    assert node.events.filter(kind=EventKind.NODE_STATUS, actor="operator").exists()


def test_accept_of_a_node_that_is_not_discovered_is_409_and_changes_nothing(operator):
    node = NodeFactory(status=NodeStatus.READY)
    response = operator.post(f"/api/v1/nodes/{node.uuid}/accept/")
    assert response.status_code == 409
    assert "not discovered" in error_of(response)["message"]
    node.refresh_from_db()
    assert node.status == NodeStatus.READY and node.reregistration_armed_until is None


def test_rearm_is_recorded_and_shown(operator):
    node = NodeFactory(status=NodeStatus.READY)
    response = operator.post(f"/api/v1/nodes/{node.uuid}/rearm/")
    assert response.status_code == 200
    node.refresh_from_db()
    assert response.json()["reregistration_armed_until"] and node.reregistration_armed_until
    assert node.events.get(kind=EventKind.REREGISTRATION_ARMED).actor == "operator"


@pytest.mark.parametrize("status", [NodeStatus.RETIRED, NodeStatus.DISCOVERED])
def test_rearm_of_a_retired_or_discovered_node_is_409(operator, status):
    node = NodeFactory(status=status)
    assert operator.post(f"/api/v1/nodes/{node.uuid}/rearm/").status_code == 409
    node.refresh_from_db()
    assert node.reregistration_armed_until is None


def test_rearm_needs_the_power_permission_and_accept_needs_change(client_for, reader):
    node = NodeFactory(status=NodeStatus.READY)
    without_power = client_for(NODE_ACCESS)
    assert without_power.post(f"/api/v1/nodes/{node.uuid}/rearm/").status_code == 403
    assert reader.post(f"/api/v1/nodes/{node.uuid}/accept/").status_code == 403
    node.refresh_from_db()
    assert node.reregistration_armed_until is None
    with_power = client_for([*NODE_ACCESS, "bearman.operate_power"])
    assert with_power.post(f"/api/v1/nodes/{node.uuid}/rearm/").status_code == 200


def test_an_unknown_node_is_404(operator):
    unknown = "11111111-2222-3333-4444-555555555555"
    assert operator.post(f"/api/v1/nodes/{unknown}/rearm/").status_code == 404
