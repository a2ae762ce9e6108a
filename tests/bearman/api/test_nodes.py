import pytest

from bearman.crypto import decrypt_secret
from bearman.models import Event, EventKind, Node
from bearman.services import node_set_bmc_password
from bearman.states import NodeStatus
from tests.bearman.api.conftest import BMC_PASSWORD, error_of, user_with
from tests.factories import BaremetalFactory, FlavorFactory, NodeFactory

pytestmark = pytest.mark.django_db

NODES = "/api/v1/nodes/"


def node_url(node_or_uuid) -> str:
    return f"{NODES}{getattr(node_or_uuid, 'uuid', node_or_uuid)}/"


def test_list_shows_nodes_with_their_baremetal_and_pages(reader):
    deployed = BaremetalFactory(hostname="web01.example.test").node
    NodeFactory.create_batch(2)
    response = reader.get(NODES)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["next"] is None
    row = next(n for n in body["results"] if n["uuid"] == deployed.uuid)
    assert row["baremetal"]["hostname"] == "web01.example.test"
    assert row["baremetal"]["status"] == "deploy_start"
    assert "bmc_password" not in row
    assert "bmc_password_encrypted" not in row


def test_page_size_is_the_clients_up_to_the_maximum(reader, settings):
    settings.BEARMAN_API_MAX_PAGE_SIZE = 3
    NodeFactory.create_batch(5)
    body = reader.get(NODES, {"page_size": 2}).json()
    assert len(body["results"]) == 2
    assert body["next"].endswith("page=2&page_size=2")
    assert len(reader.get(NODES, {"page_size": 100}).json()["results"]) == 3
    assert reader.get(NODES, {"page": 99}).status_code == 404


def test_filters_and_search(reader):
    flavor = FlavorFactory(name="storage")
    wanted = NodeFactory(flavor=flavor, availability_zone="az2", status=NodeStatus.READY)
    NodeFactory(availability_zone="az2")
    NodeFactory(flavor=flavor, availability_zone="az1", status=NodeStatus.READY)

    def uuids(params):
        response = reader.get(NODES, params)
        assert response.status_code == 200, response.content
        return [n["uuid"] for n in response.json()["results"]]

    assert uuids({"flavor": "storage", "availability_zone": "az2"}) == [wanted.uuid]
    assert len(uuids({"status": ["ready", "registered"]})) == 3
    mac = wanted.facts["nics"][0]["mac"]
    assert uuids({"search": mac.upper().replace(":", "-")}) == [wanted.uuid]
    assert uuids({"search": wanted.serial}) == [wanted.uuid]
    BaremetalFactory(node=wanted)
    assert uuids({"has_baremetal": "true"}) == [wanted.uuid]
    assert len(uuids({"has_baremetal": "false"})) == 2


def test_an_unknown_filter_value_is_a_400_naming_the_field(reader):
    response = reader.get(NODES, {"status": "sleeping"})
    assert response.status_code == 400
    assert "status" in error_of(response)["fields"]


def test_retrieve_by_uuid_in_any_spelling(reader):
    node = NodeFactory()
    for spelling in (node.uuid, node.uuid.upper(), node.uuid.replace("-", "")):
        response = reader.get(node_url(spelling))
        assert response.status_code == 200, spelling
        assert response.json()["uuid"] == node.uuid


def test_unknown_node_is_a_404_with_the_error_body(reader):
    response = reader.get(node_url("4c4c4544-0000-0000-0000-000000000001"))
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert reader.get(node_url("not-a-uuid")).status_code == 404


def test_patch_places_the_node_and_records_who_changed_what(operator):
    node = NodeFactory(availability_zone="az1")
    FlavorFactory(name="storage")
    response = operator.patch(
        node_url(node), {"flavor": "storage", "availability_zone": "az2", "bmc_port": 6230}
    )
    assert response.status_code == 200, response.content
    assert response.json()["flavor"] == "storage"
    node.refresh_from_db()
    assert (node.flavor.name, node.availability_zone, node.bmc_port) == ("storage", "az2", 6230)
    event = node.events.get(kind=EventKind.NOTE)
    assert event.actor == "operator"
    assert "availability_zone az1 → az2" in event.message


def test_patch_moves_status_through_the_state_table(operator):
    node = NodeFactory(status=NodeStatus.REGISTERED)
    response = operator.patch(node_url(node), {"status": "ready"})
    assert response.status_code == 200
    assert Node.objects.get(pk=node.pk).status == "ready"
    assert node.events.filter(kind=EventKind.NODE_STATUS, actor="operator").exists()


def test_an_illegal_status_move_is_a_409_and_changes_nothing(operator):
    node = NodeFactory(status=NodeStatus.RETIRED, availability_zone="az1")
    response = operator.patch(node_url(node), {"status": "ready", "availability_zone": "az9"})
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "transition_not_allowed"
    assert "Retired" in error["message"] and "Ready" in error["message"]
    node.refresh_from_db()
    assert (node.status, node.availability_zone) == ("retired", "az1")
    assert not Event.objects.filter(node=node).exists()


def test_bmc_password_is_write_only(operator):
    node = NodeFactory()
    response = operator.patch(node_url(node), {"bmc_password": BMC_PASSWORD})
    assert response.status_code == 200
    assert response.json()["bmc_password_set"] is True
    node.refresh_from_db()
    assert decrypt_secret(node.bmc_password_encrypted) == BMC_PASSWORD
    # The watchful client fails any answer that carries it; read it back every way.
    operator.get(node_url(node))
    operator.get(NODES)
    operator.get(f"{node_url(node)}events/")


def test_an_empty_bmc_password_clears_it(operator):
    node = node_set_bmc_password(node=NodeFactory(), password=BMC_PASSWORD, actor="t")
    response = operator.patch(node_url(node), {"bmc_password": ""})
    assert response.json()["bmc_password_set"] is False
    node.refresh_from_db()
    assert node.bmc_password_encrypted == ""


def test_bad_settings_are_a_400_with_field_messages(operator):
    node = NodeFactory()
    response = operator.patch(
        node_url(node), {"bmc_port": 70000, "bmc_address": "10.0.0.999", "flavor": "nope"}
    )
    assert response.status_code == 400
    fields = error_of(response)["fields"]
    assert set(fields) == {"bmc_port", "bmc_address", "flavor"}
    assert "bmc_port" in error_of(response)["message"]


def test_identity_and_facts_are_read_only(operator):
    node = NodeFactory(serial="SN1")
    other_uuid = "4c4c4544-0000-0000-0000-0000000000ff"
    operator.patch(node_url(node), {"serial": "SN2", "uuid": other_uuid})
    node.refresh_from_db()
    assert node.serial == "SN1"
    assert not Node.objects.filter(uuid=other_uuid).exists()


def test_put_and_delete_are_not_offered(operator):
    node = NodeFactory()
    assert operator.put(node_url(node), {}).status_code == 405
    assert operator.delete(node_url(node)).status_code == 405
    assert error_of(operator.delete(node_url(node)))["code"] == "method_not_allowed"


def test_reading_needs_view_permission_and_changing_needs_change(client_for):
    node = NodeFactory()
    no_perms = client_for([])
    assert no_perms.get(NODES).status_code == 403
    assert error_of(no_perms.get(node_url(node)))["code"] == "permission_denied"
    viewer = client_for(["bearman.view_node"])
    assert viewer.get(node_url(node)).status_code == 200
    assert viewer.patch(node_url(node), {"availability_zone": "az3"}).status_code == 403
    node.refresh_from_db()
    assert node.availability_zone == "az1"


def test_no_token_is_a_401_and_a_bad_token_too(anonymous):
    response = anonymous.get(NODES)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error_of(response)["code"] == "not_authenticated"
    anonymous.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    assert error_of(anonymous.get(NODES))["code"] == "authentication_failed"


def test_session_login_works_for_the_browsable_api(client, django_user_model):
    user_with(django_user_model, "browser", ["bearman.view_node"])
    client.login(username="browser", password="Not-Used-Here-1")
    response = client.get(NODES, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Node List" in response.content


def test_a_filter_without_a_value_is_a_400_not_everything(reader):
    NodeFactory()
    for query in ({"availability_zone": ""}, {"has_baremetal": "null"}, {"page_size": "x"}):
        response = reader.get(NODES, query)
        assert response.status_code == 400, query
        assert set(error_of(response)["fields"]) == set(query)


def test_values_of_the_wrong_json_type_are_refused_not_coerced(operator):
    node = NodeFactory(bmc_port=623)
    response = operator.patch(node_url(node), {"bmc_port": "624", "bmc_username": 7})
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"bmc_port", "bmc_username"}
    assert operator.patch(node_url(node), {"flavor": {}}).status_code == 400
    node.refresh_from_db()
    assert node.bmc_port == 623
