import pytest

from bearman.errors import TransitionConflict, TransitionNotAllowed
from bearman.models import Baremetal, Event, EventKind, Node
from bearman.services import baremetal_create, baremetal_transition, node_transition
from bearman.states import DeployStatus, NodeStatus
from tests.factories import BaremetalFactory, NodeFactory, ProfileFactory

pytestmark = pytest.mark.django_db


def test_a_legal_node_move_is_stored_and_logged():
    node = NodeFactory()
    node_transition(node=node, to=NodeStatus.READY, actor="alice")
    node.refresh_from_db()
    assert node.status == NodeStatus.READY
    event = node.events.get()
    assert (event.kind, event.actor, event.data) == (
        EventKind.NODE_STATUS,
        "alice",
        {"from": "registered", "to": "ready"},
    )


def test_an_illegal_node_move_is_refused_and_changes_nothing():
    node = NodeFactory(status=NodeStatus.RETIRED)
    with pytest.raises(TransitionNotAllowed, match="cannot go from Retired to Ready"):
        node_transition(node=node, to="ready", actor="alice")
    assert Node.objects.get(pk=node.pk).status == NodeStatus.RETIRED
    assert not Event.objects.exists()


def test_a_stale_view_does_not_overwrite_a_newer_status():
    node = NodeFactory()
    stale = Node.objects.get(pk=node.pk)
    node_transition(node=node, to=NodeStatus.MAINTENANCE, actor="alice")
    with pytest.raises(TransitionConflict, match="someone else changed it"):
        node_transition(node=stale, to=NodeStatus.READY, actor="bob")
    assert Node.objects.get(pk=node.pk).status == NodeStatus.MAINTENANCE
    assert Event.objects.count() == 1


def test_the_baremetal_walk_stamps_each_status():
    baremetal = baremetal_create(
        node=NodeFactory(), profile=ProfileFactory(), hostname="web01.example.test", actor="alice"
    )
    assert baremetal.status == DeployStatus.DEPLOY_START and baremetal.deploy_started_at
    baremetal_transition(baremetal=baremetal, to=DeployStatus.DEPLOYING, actor="agent")
    baremetal_transition(baremetal=baremetal, to=DeployStatus.INSTALLED, actor="agent")
    stored = Baremetal.objects.get(pk=baremetal.pk)
    assert stored.status == DeployStatus.INSTALLED
    assert stored.deploying_at <= stored.installed_at
    kinds = list(stored.node.events.values_list("kind", flat=True))
    assert kinds == [EventKind.BAREMETAL] * 3


def test_a_failure_keeps_its_error_and_a_redeploy_clears_it():
    baremetal = BaremetalFactory(status=DeployStatus.DEPLOYING)
    baremetal_transition(
        baremetal=baremetal,
        to=DeployStatus.UNRECOVERABLE_ERROR,
        actor="agent",
        error="install script exited 1",
    )
    stored = Baremetal.objects.get(pk=baremetal.pk)
    assert stored.last_error == "install script exited 1" and stored.failed_at
    assert "install script exited 1" in stored.node.events.get().message
    baremetal_transition(baremetal=stored, to=DeployStatus.DEPLOY_START, actor="alice")
    assert Baremetal.objects.get(pk=baremetal.pk).last_error == ""


def test_an_illegal_baremetal_move_is_refused():
    baremetal = BaremetalFactory(status=DeployStatus.DEPLOY_START)
    with pytest.raises(TransitionNotAllowed, match="Deploy start to Installed"):
        baremetal_transition(baremetal=baremetal, to=DeployStatus.INSTALLED, actor="agent")
    assert Baremetal.objects.get(pk=baremetal.pk).status == DeployStatus.DEPLOY_START
