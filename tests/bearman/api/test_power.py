"""Power through the API: one node, the operations list, bulk requests and their guard rails.

Operations are run by power's own service (`power_operation_run`) in the test's process,
as a worker would; fake BMCs succeed, and an IPMI BMC on a port nobody listens on fails.
"""

import pytest

from bearman.models import BmcDriver, BulkState, OperationState, PowerBulk, PowerOperation
from bearman.services.power.bulk import power_bulk_advance
from bearman.services.power.run import power_operation_run
from bearman.states import DeployStatus
from tests.bearman.api.conftest import error_of
from tests.factories import BaremetalFactory, NodeFactory

pytestmark = pytest.mark.django_db

OPERATIONS = "/api/v1/power-operations/"
BULK = "/api/v1/power-operations/bulk/"
OPERATE = ["bearman.view_node", "bearman.operate_power", "bearman.view_poweroperation"]


def fake_node(**kwargs):
    return NodeFactory(bmc_driver=BmcDriver.FAKE, **kwargs)


def dead_node(**kwargs):
    """An IPMI BMC nobody answers for: its operations fail, quickly."""
    return NodeFactory(bmc_address="127.0.0.1", bmc_port=9, bmc_options={"timeout": 1}, **kwargs)


def run_pending():
    for operation in PowerOperation.objects.filter(state=OperationState.PENDING):
        power_operation_run(operation_id=operation.pk)


@pytest.fixture
def power_user(client_for):
    return client_for(OPERATE, name="powerop")


def test_power_on_one_node_is_a_202_with_the_operation(power_user):
    node = fake_node()
    response = power_user.post(f"/api/v1/nodes/{node.uuid.upper()}/power/", {"action": "on"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["node"], body["action"], body["state"]) == (node.uuid, "on", "pending")
    assert body["requested_by"] == "powerop"
    run_pending()
    done = power_user.get(f"{OPERATIONS}{body['id']}/").json()
    assert (done["state"], done["result"]) == ("succeeded", "power is on")


def test_a_second_request_while_one_is_in_flight_is_a_409(power_user):
    node = fake_node()
    power_user.post(f"/api/v1/nodes/{node.uuid}/power/", {"action": "on"})
    response = power_user.post(f"/api/v1/nodes/{node.uuid}/power/", {"action": "off"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "power_operation_in_flight"
    assert PowerOperation.objects.count() == 1


def test_a_node_without_a_bmc_address_is_a_409(power_user):
    node = fake_node(bmc_address=None)
    response = power_user.post(f"/api/v1/nodes/{node.uuid}/power/", {"action": "on"})
    assert response.status_code == 409
    assert "no BMC address" in error_of(response)["message"]


def test_an_unknown_action_is_a_400(power_user):
    node = fake_node()
    response = power_user.post(f"/api/v1/nodes/{node.uuid}/power/", {"action": "explode"})
    assert response.status_code == 400
    assert "action" in error_of(response)["fields"]


def test_power_needs_operate_power(client_for):
    node = fake_node()
    changer = client_for(["bearman.view_node", "bearman.change_node"])
    response = changer.post(f"/api/v1/nodes/{node.uuid}/power/", {"action": "on"})
    assert response.status_code == 403
    assert changer.post(BULK, {"action": "on", "nodes": [node.uuid]}).status_code == 403
    assert not PowerOperation.objects.exists()


def test_operations_filter_by_state_node_and_action(power_user):
    first, second = fake_node(), fake_node()
    power_user.post(f"/api/v1/nodes/{first.uuid}/power/", {"action": "on"})
    run_pending()
    power_user.post(f"/api/v1/nodes/{second.uuid}/power/", {"action": "cycle"})

    def listed(params):
        return [
            (o["node"], o["state"]) for o in power_user.get(OPERATIONS, params).json()["results"]
        ]

    assert listed({"state": "succeeded"}) == [(first.uuid, "succeeded")]
    assert listed({"node": second.uuid}) == [(second.uuid, "pending")]
    assert listed({"action": "cycle"}) == [(second.uuid, "pending")]
    assert power_user.get(OPERATIONS, {"state": "lost"}).status_code == 400


def test_bulk_dry_run_lists_the_nodes_and_touches_nothing(power_user):
    ready = [fake_node(status="ready", availability_zone="az2") for _ in range(3)]
    fake_node(status="ready", availability_zone="az1")
    response = power_user.post(
        BULK,
        {
            "action": "off",
            "filter": {"status": ["ready"], "availability_zone": "az2"},
            "dry_run": True,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3
    assert {n["uuid"] for n in body["nodes"]} == {n.uuid for n in ready}
    assert not PowerOperation.objects.exists() and not PowerBulk.objects.exists()


def test_bulk_filter_selects_nodes_by_their_baremetal(power_user):
    installed = fake_node(status="ready")
    BaremetalFactory(node=installed, status=DeployStatus.INSTALLED)
    BaremetalFactory(node=fake_node(status="ready"), status=DeployStatus.DEPLOYING)
    bare = fake_node(status="ready")

    def selected(criteria: dict) -> set[str]:
        response = power_user.post(BULK, {"action": "off", "filter": criteria, "dry_run": True})
        assert response.status_code == 200, response.content
        return {n["uuid"] for n in response.json()["nodes"]}

    assert selected({"baremetal_status": ["installed"]}) == {installed.uuid}
    assert selected({"status": ["ready"], "has_baremetal": False}) == {bare.uuid}


def test_bulk_queues_batch_by_batch_until_done(power_user):
    nodes = [fake_node() for _ in range(5)]
    response = power_user.post(
        BULK, {"action": "on", "nodes": [n.uuid for n in nodes], "batch_size": 2}
    )
    assert response.status_code == 202, response.content
    bulk = response.json()
    assert bulk["progress"] == {
        "total": 5, "not_queued": 3, "in_flight": 2, "succeeded": 0, "failed": 0,
        "failure_percent": 0.0,
    }  # fmt: skip
    for _ in range(3):
        run_pending()
        power_bulk_advance(bulk_id=bulk["id"])
    done = power_user.get(f"{BULK}{bulk['id']}/").json()
    assert done["state"] == BulkState.COMPLETED
    assert done["progress"]["succeeded"] == 5
    listed = power_user.get(OPERATIONS, {"bulk": bulk["id"]}).json()
    assert listed["count"] == 5


def test_bulk_stops_queuing_once_too_many_fail(power_user):
    dead = [dead_node() for _ in range(2)]
    alive = [fake_node() for _ in range(4)]
    response = power_user.post(
        BULK,
        {
            "action": "status",
            "nodes": [n.uuid for n in dead + alive],
            "batch_size": 2,
            "max_failure_percent": 25,
        },
    )
    bulk_id = response.json()["id"]
    run_pending()
    bulk = power_bulk_advance(bulk_id=bulk_id)
    assert bulk.state == BulkState.STOPPED
    assert "2 of 2 failed (100%), more than the 25% allowed" in bulk.stopped_reason
    assert "other 4 nodes were not touched" in bulk.stopped_reason
    assert not PowerOperation.objects.filter(node__in=alive).exists()


def test_bulk_refuses_unknown_nodes_and_empty_or_double_selections(power_user):
    node = fake_node()
    unknown = "4c4c4544-0000-0000-0000-00000000beef"
    response = power_user.post(BULK, {"action": "on", "nodes": [node.uuid, unknown, "junk"]})
    assert response.status_code == 400
    assert unknown in error_of(response)["fields"]["nodes"][0]
    both = power_user.post(BULK, {"action": "on", "nodes": [node.uuid], "filter": {"vendor": "x"}})
    assert both.status_code == 400
    empty = power_user.post(BULK, {"action": "on", "filter": {}})
    assert empty.status_code == 400
    nothing = power_user.post(BULK, {"action": "on", "filter": {"availability_zone": "nowhere"}})
    assert "No node matches" in error_of(nothing)["message"]
    assert not PowerBulk.objects.exists()
