"""iPXE scripts and trust: the opt-in enrollment token only on first-stage scripts; armed,
accepted and discovered nodes boot the registration agent (docs/security.md)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bearman.services.admission import node_accept, node_rearm
from bearman.states import DeployStatus, NodeStatus
from tests.factories import BaremetalFactory, NodeFactory

from .test_views import UNKNOWN, _any_host, fetch  # noqa: F401 - its hosts, autouse

pytestmark = pytest.mark.django_db
TOKEN = "site-enrollment-token-123"


@pytest.fixture
def token_on(settings):
    settings.BEARMAN_ENROLLMENT_TOKEN = TOKEN
    settings.BEARMAN_IPXE_SEND_ENROLLMENT_TOKEN = True


def test_the_opt_in_token_is_never_on_a_ready_or_installed_nodes_script(client, token_on):
    ready = NodeFactory(status=NodeStatus.READY)
    installed = BaremetalFactory(status=DeployStatus.INSTALLED).node
    for node in (ready, installed):
        _, body = fetch(client, f"/ipxe/{node.uuid}")
        assert TOKEN not in body and "bearman.mode" not in body
    _, body = fetch(client, f"/ipxe/{UNKNOWN}")
    assert f"bearman.token={TOKEN}" in body.split()  # the documented residual risk


def test_an_armed_node_boots_the_registration_agent_until_the_arming_expires(client):
    node = NodeFactory(status=NodeStatus.READY)
    node_rearm(node=node, actor="alice")
    _, body = fetch(client, f"/ipxe/{node.uuid}")
    assert "bearman.mode=register" in body
    node.reregistration_armed_until = timezone.now() - timedelta(seconds=1)
    node.save(update_fields=["reregistration_armed_until"])
    _, body = fetch(client, f"/ipxe/{node.uuid}")
    assert "bearman.mode" not in body


def test_discovered_and_accepted_nodes_boot_the_registration_agent(client):
    node = NodeFactory(status=NodeStatus.DISCOVERED, bmc_address=None)
    assert "bearman.mode=register" in fetch(client, f"/ipxe/{node.uuid}")[1]
    node_accept(node=node, actor="alice")
    assert "bearman.mode=register" in fetch(client, f"/ipxe/{node.uuid}")[1]
