"""The cabling plan over the REST API: CSV import with a dry run, and cables one by one."""

import pytest

from bearman.models import CablingLink, Node
from tests.bearman.api.conftest import error_of
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db
IMPORT = "/api/v1/cabling/import/"
PLAN = "serial,nic,switch,port\nCZ2D1001,eno1,leaf-r12-a,Ethernet1\n"
PLAN_PERMISSIONS = [f"bearman.{verb}_cablinglink" for verb in ("view", "add", "change", "delete")]


@pytest.fixture
def planner(client_for):
    return client_for([*PLAN_PERMISSIONS, "bearman.view_node", "bearman.change_node"])


def post_csv(client, body, query=""):
    data = body.encode() if isinstance(body, str) else body
    return client.generic("POST", IMPORT + query, data, content_type="text/csv")


def test_a_dry_run_answers_the_changes_and_writes_nothing(planner):
    answer = post_csv(planner, PLAN, "?dry_run=true")

    assert answer.status_code == 200
    body = answer.json()
    assert body["dry_run"] is True
    assert body["counts"] == {"created": 1, "changed": 0, "unchanged": 0}
    assert (
        body["created"][0] | {"line": 2, "serial": "CZ2D1001", "port": "Ethernet1"}
        == (body["created"][0])
    )
    assert not CablingLink.objects.exists()


def test_an_import_writes_and_a_second_one_finds_everything_unchanged(planner):
    first = post_csv(planner, b"\xef\xbb\xbf" + PLAN.replace("\n", "\r\n").encode())
    again = post_csv(planner, PLAN)

    assert first.json()["counts"] == {"created": 1, "changed": 0, "unchanged": 0}
    assert again.json()["counts"] == {"created": 0, "changed": 0, "unchanged": 1}
    assert CablingLink.objects.get().port == "Ethernet1"


def test_bad_rows_answer_400_with_their_line_numbers_and_nothing_is_written(planner):
    bad = PLAN + "CZ2D1002,eno1,leaf-r12-a,\nCZ2D1003,eno1,leaf-r12-a,Ethernet1\n"

    answer = post_csv(planner, bad)

    assert answer.status_code == 400
    error = error_of(answer)
    assert error["fields"] == {
        "line 3": ["port is empty"],
        "line 4": ["switch leaf-r12-a port Ethernet1 is already on line 2"],
    }
    assert error["message"].startswith("line 3: port is empty; line 4:")
    assert not CablingLink.objects.exists()


def test_dry_run_takes_only_a_boolean(planner):
    answer = post_csv(planner, PLAN, "?dry_run=maybe")

    assert answer.status_code == 400
    assert "dry_run" in error_of(answer)["fields"]
    assert not CablingLink.objects.exists()


def test_importing_needs_the_permission_to_change_the_plan(client_for):
    reader = client_for(["bearman.view_cablinglink"])

    assert post_csv(reader, PLAN).status_code == 403
    assert not CablingLink.objects.exists()


def test_a_cable_is_set_for_a_node_and_listed_by_the_node(planner):
    node = NodeFactory(serial="CZ2D1001", rack_position="dc1-r12-u07")
    NodeFactory(serial="OTHER")
    by_serial = {"serial": "CZ2D1001", "nic": "eno1", "switch": "leaf-a", "port": "Ethernet1"}
    by_position = {"rack_position": "dc1-r12-u07", "nic": "eno2", "switch": "leaf-b", "port": "1"}
    elsewhere = {"serial": "OTHER", "nic": "eno1", "switch": "leaf-a", "port": "Ethernet2"}
    for cable in (by_serial, by_position, elsewhere):
        assert planner.post("/api/v1/cabling/", cable).status_code == 201

    listed = planner.get("/api/v1/cabling/", {"node": node.uuid}).json()["results"]

    assert sorted(link["nic"] for link in listed) == ["eno1", "eno2"]


def test_a_cable_on_a_taken_switch_port_is_refused(planner):
    cable = {"serial": "CZ2D1001", "nic": "eno1", "switch": "leaf-a", "port": "Ethernet1"}
    planner.post("/api/v1/cabling/", cable)

    answer = planner.post("/api/v1/cabling/", {**cable, "serial": "CZ2D1002"})

    assert answer.status_code == 400
    assert "already cabled to another NIC" in error_of(answer)["message"]
    assert CablingLink.objects.count() == 1


def test_a_cable_names_its_node_once(planner):
    cable = {"serial": "CZ2D1001", "rack_position": "dc1-r1-u1", "nic": "eno1"}

    answer = planner.post("/api/v1/cabling/", {**cable, "switch": "leaf-a", "port": "1"})

    assert answer.status_code == 400
    assert "serial or its rack position" in error_of(answer)["message"]


def test_a_node_takes_a_rack_position_once_in_the_site(planner):
    node, other = NodeFactory(), NodeFactory(rack_position="dc1-r12-u08")
    url = f"/api/v1/nodes/{node.uuid}/"

    assert planner.patch(url, {"rack_position": "dc1-r12-u07"}).status_code == 200
    taken = planner.patch(url, {"rack_position": other.rack_position})
    malformed = planner.patch(url, {"rack_position": "DC1 R12"})

    assert taken.status_code == malformed.status_code == 400
    assert "rack_position" in error_of(malformed)["fields"]
    assert Node.objects.get(pk=node.pk).rack_position == "dc1-r12-u07"


def test_a_cable_for_a_nic_planned_under_the_nodes_other_name_is_refused(planner):
    NodeFactory(serial="CZ2D1001", rack_position="dc1-r12-u07")
    cable = {"serial": "CZ2D1001", "nic": "eno1", "switch": "leaf-a", "port": "Ethernet1"}
    planner.post("/api/v1/cabling/", cable)
    by_position = {**cable, "serial": "", "rack_position": "dc1-r12-u07", "port": "Ethernet2"}

    answer = planner.post("/api/v1/cabling/", by_position)

    assert answer.status_code == 400
    assert "already planned under CZ2D1001" in error_of(answer)["fields"]["nic"][0]
    assert CablingLink.objects.count() == 1


def test_nodes_are_listed_by_rack_position(planner):
    node = NodeFactory(rack_position="dc1-r12-u07")
    NodeFactory(rack_position="dc1-r12-u08")

    found = planner.get("/api/v1/nodes/", {"rack_position": "dc1-r12-u07"}).json()["results"]

    assert [(n["uuid"], n["rack_position"]) for n in found] == [(node.uuid, "dc1-r12-u07")]
