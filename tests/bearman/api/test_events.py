import pytest

from bearman.models import EventKind
from bearman.services import event_record
from tests.bearman.api.conftest import error_of
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db


def events_url(uuid: str) -> str:
    return f"/api/v1/nodes/{uuid}/events/"


def test_a_nodes_events_newest_first(reader):
    node, other = NodeFactory(), NodeFactory()
    for text in ("first", "second"):
        event_record(node=node, kind=EventKind.NOTE, message=text, actor="alice")
    event_record(node=other, kind=EventKind.NOTE, message="elsewhere", actor="bob")
    response = reader.get(events_url(node.uuid.upper()))
    assert response.status_code == 200
    assert [e["message"] for e in response.json()["results"]] == ["second", "first"]
    assert response.json()["results"][0]["actor"] == "alice"


def test_events_filter_by_kind(reader):
    node = NodeFactory()
    event_record(node=node, kind=EventKind.NOTE, message="note", actor="a")
    event_record(node=node, kind=EventKind.FAILURE, message="boom", actor="agent")
    body = reader.get(events_url(node.uuid), {"kind": "failure"}).json()
    assert [e["message"] for e in body["results"]] == ["boom"]
    assert reader.get(events_url(node.uuid), {"kind": "nonsense"}).status_code == 400


def test_events_of_an_unknown_node_are_a_404(reader):
    response = reader.get(events_url("4c4c4544-0000-0000-0000-00000000abcd"))
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_events_need_view_event(client_for, anonymous):
    node = NodeFactory()
    assert client_for(["bearman.view_node"]).get(events_url(node.uuid)).status_code == 403
    assert anonymous.get(events_url(node.uuid)).status_code == 401
