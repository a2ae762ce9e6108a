"""`bearman node accept` and `bearman node rearm` against a live server."""

import pytest

from bearman.models import Node
from bearman.operator_cli.errors import EXIT_REFUSED
from bearman.states import NodeStatus
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_accept_then_rearm(cli):
    node = NodeFactory(status=NodeStatus.DISCOVERED, bmc_address=None)
    accepted = cli.json("node", "accept", node.uuid.upper())
    assert accepted["status"] == "registered" and accepted["reregistration_armed_until"]
    Node.objects.filter(pk=node.pk).update(status=NodeStatus.READY, reregistration_armed_until=None)
    shown = cli.run("node", "rearm", node.uuid)
    assert shown.returncode == 0, shown.stderr
    assert "re-registration armed until" in shown.stdout
    node.refresh_from_db()
    assert node.reregistration_armed_until is not None


def test_accepting_a_ready_node_exits_refused_with_the_reason(cli):
    node = NodeFactory(status=NodeStatus.READY)
    result = cli.run("node", "accept", node.uuid)
    assert result.returncode == EXIT_REFUSED
    assert "only discovered nodes are accepted" in result.stderr
    assert Node.objects.get(pk=node.pk).status == NodeStatus.READY
