"""The node list's power actions go through the bulk guard rails, as the API's do."""

import pytest
from django.urls import reverse

from bearman.models import PowerBulk, PowerOperation
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:bearman_node_changelist")


def test_many_nodes_are_queued_a_batch_at_a_time_and_can_be_watched(admin_client, settings):
    settings.BEARMAN_POWER_BULK_BATCH_SIZE = 2
    settings.BEARMAN_POWER_BULK_MAX_FAILURE_PERCENT = 25
    nodes = NodeFactory.create_batch(5)
    form = {"action": "power_off", "_selected_action": [n.pk for n in nodes]}
    page = admin_client.post(CHANGELIST, form, follow=True).content.decode()
    bulk = PowerBulk.objects.get()
    assert PowerOperation.objects.count() == 2
    assert (
        "Power off: 2 operations queued; the other 3 follow in batches of 2 unless more than "
        "25% fail." in page
    )
    watch = reverse("admin:bearman_powerbulk_change", args=[bulk.pk])
    assert f'href="{watch}"' in page
    detail = admin_client.get(watch).content.decode()
    assert "0 succeeded, 0 failed, 2 in flight, 3 not queued, of 5" in detail
