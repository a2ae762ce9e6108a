"""The node list's accept and arm actions, through Django's test client."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from bearman.states import NodeStatus
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:bearman_node_changelist")


def act(client, action: str, *nodes):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [node.pk for node in nodes]},
        follow=True,
    )


def test_accept_accepts_discovered_nodes_and_warns_about_the_others(admin_client):
    waiting = NodeFactory(status=NodeStatus.DISCOVERED, bmc_address=None)
    ready = NodeFactory(status=NodeStatus.READY)
    page = act(admin_client, "accept_discovered", waiting, ready).content.decode()
    waiting.refresh_from_db()
    ready.refresh_from_db()
    assert waiting.status == NodeStatus.REGISTERED and waiting.reregistration_armed_until
    assert ready.status == NodeStatus.READY
    assert "1 node(s) accepted" in page and "not discovered" in page


def test_arm_reregistration_arms_once(admin_client):
    node = NodeFactory(status=NodeStatus.READY)
    page = act(admin_client, "arm_reregistration", node).content.decode()
    node.refresh_from_db()
    assert node.reregistration_armed_until is not None
    assert "1 node(s) armed" in page


def test_arming_is_not_offered_without_the_power_permission(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="Pw-1-clerk", is_staff=True)
    for codename in ("view_node", "change_node"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)
    node = NodeFactory(status=NodeStatus.READY)
    page = client.get(CHANGELIST).content.decode()
    assert "accept_discovered" in page and "arm_reregistration" not in page
    act(client, "arm_reregistration", node)
    node.refresh_from_db()
    assert node.reregistration_armed_until is None
