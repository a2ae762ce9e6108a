"""The boot timeline on the Baremetal's and the node's admin pages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bearman.services.timeline import timeline_powered_on
from bearman.states import DeployStatus
from tests.factories import BaremetalFactory, NodeFactory

pytestmark = pytest.mark.django_db
STARTED = timezone.now() - timedelta(hours=2)


def test_the_baremetal_and_node_pages_show_the_timeline(admin_client):
    baremetal = BaremetalFactory(status=DeployStatus.DEPLOY_START, deploy_started_at=STARTED)
    timeline_powered_on(
        node_id=baremetal.node_id, uuid=baremetal.node.uuid, detail="Power on", at=STARTED
    )
    page = admin_client.get(reverse("admin:bearman_baremetal_change", args=[baremetal.pk]))
    text = page.content.decode()
    assert "Boot timeline" in text and "Bearman powered the node on" in text
    assert "No iPXE request at all" in text and "never came: stopped here" in text
    page = admin_client.get(reverse("admin:bearman_node_change", args=[baremetal.node.pk]))
    assert f"Boot timeline of Baremetal {baremetal.hostname}" in page.content.decode()


def test_a_node_without_a_baremetal_shows_its_registration_timeline(admin_client, client):
    node = NodeFactory()
    assert client.get(f"/ipxe/{node.uuid}/fetched", {"script": "register"}).status_code == 200
    page = admin_client.get(reverse("admin:bearman_node_change", args=[node.pk]))
    text = page.content.decode()
    assert "Registration timeline" in text and "Firmware fetched its iPXE script" in text
    assert "Boot timeline of Baremetal" not in text
