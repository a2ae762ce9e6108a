"""Power in the admin: requests are recorded and queued, never run in the web request."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from bearman.models import OperationState, PowerOperation
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:bearman_node_changelist")
OPERATIONS = reverse("admin:bearman_poweroperation_changelist")


@pytest.fixture
def operator(django_user_model, client):
    user = django_user_model.objects.create_user("olga", password="Operator-Pw-1", is_staff=True)
    for codename in ("view_node", "change_node", "view_poweroperation"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)
    return user


def test_bulk_power_on_queues_one_operation_per_node_and_says_where_to_watch(admin_client):
    nodes = NodeFactory.create_batch(2)
    bare = NodeFactory(bmc_address=None)
    form = {"action": "power_on", "_selected_action": [n.pk for n in [*nodes, bare]]}
    page = admin_client.post(CHANGELIST, form, follow=True).content.decode()
    operations = PowerOperation.objects.order_by("pk")
    assert {(op.node, op.action, op.state) for op in operations} == {
        (node, "on", OperationState.PENDING) for node in nodes
    }
    watch = f"{OPERATIONS}?id__in={operations[0].pk},{operations[1].pk}"
    assert f'Power on: 2 operations queued. <a href="{watch}">Watch them</a>' in page
    assert f"Power on refused: Node {bare.uuid} has no BMC address" in page
    assert "1 node" not in page  # no stray "successfully" message from Django


def test_a_second_request_for_a_busy_node_is_refused_in_plain_words(admin_client):
    node = NodeFactory()
    form = {"action": "power_cycle", "_selected_action": [node.pk]}
    admin_client.post(CHANGELIST, form)
    page = admin_client.post(CHANGELIST, form, follow=True).content.decode()
    assert "already has a power operation in flight" in page
    assert PowerOperation.objects.count() == 1


def test_the_node_page_buttons_queue_an_operation_and_show_it(admin_client):
    node = NodeFactory()
    page_url = reverse("admin:bearman_node_change", args=[node.pk])
    page = admin_client.get(page_url).content.decode()
    for label in ("Power on", "Power off", "Soft off", "Reset", "Power cycle"):
        assert f">{label}</button>" in page
    assert ">Boot from network next</button>" in page and ">Refresh power state</button>" in page
    power_url = reverse("admin:bearman_node_power", args=[node.pk])
    response = admin_client.post(power_url, {"action": "boot_network"}, follow=True)
    assert response.redirect_chain[-1][0] == page_url
    page = response.content.decode()
    assert "Boot from network next: 1 operation queued." in page
    assert "<td>Boot from network next</td><td>Pending</td><td>admin</td>" in page


def test_power_needs_the_operate_power_permission(operator, client):
    node = NodeFactory()
    assert "power_on" not in client.get(CHANGELIST).content.decode()
    page = client.get(reverse("admin:bearman_node_change", args=[node.pk])).content.decode()
    assert ">Power on</button>" not in page
    power_url = reverse("admin:bearman_node_power", args=[node.pk])
    assert client.post(power_url, {"action": "on"}).status_code == 403
    operator.user_permissions.add(Permission.objects.get(codename="operate_power"))
    assert "power_on" in client.get(CHANGELIST).content.decode()
    assert client.post(power_url, {"action": "on"}).status_code == 302
    assert PowerOperation.objects.get().requested_by == "olga"


def test_the_operations_list_filters_by_state_action_and_node(admin_client):
    first, second = NodeFactory(), NodeFactory()
    PowerOperation.objects.create(node=first, action="on", requested_by="a", state="failed")
    PowerOperation.objects.create(node=second, action="off", requested_by="a")
    for query, expected in [
        ({"state__exact": "failed"}, first),
        ({"action__exact": "off"}, second),
        ({"node__id__exact": first.pk}, first),
    ]:
        page = admin_client.get(OPERATIONS, query).content.decode()
        assert expected.uuid in page and ({first, second} - {expected}).pop().uuid not in page
