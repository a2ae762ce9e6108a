"""A notice the webhook never took is where an operator looks: the admin and /metrics."""

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from bearman.models import NoticeKind
from bearman.models.notice import NoticeState
from bearman.services.notices import notice_raise, notices_flush
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db
NOTICES = reverse("admin:bearman_notice_changelist")
UNDELIVERABLE = ("bearman_notices_undeliverable_total", (("reason", "too_large"),))


def scrape(client) -> dict:
    samples = {}
    for family in text_string_to_metric_families(client.get("/metrics").content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_an_undeliverable_notice_shows_in_the_admin_and_in_metrics(admin_client, client, webhook):
    before = scrape(client).get(UNDELIVERABLE, 0)
    webhook.max_bytes = 300  # takes nothing
    node = NodeFactory()
    lost = notice_raise(node=node, kind=NoticeKind.BAREMETAL_FAILED, message="install.sh exited 2")
    assert notices_flush() == 0
    webhook.max_bytes = None
    sent = notice_raise(node=node, kind=NoticeKind.BMC_UNREACHABLE, message="BMC silent")
    assert notices_flush() == 1

    page = admin_client.get(NOTICES, {"state": "undeliverable"}).content.decode()
    assert "Too large for the webhook" in page and "413" in page
    assert f"/admin/bearman/notice/{lost.pk}/change/" in page
    assert f"/admin/bearman/notice/{sent.pk}/change/" not in page
    page = admin_client.get(NOTICES, {"undeliverable": "too_large"}).content.decode()
    assert f"/admin/bearman/notice/{lost.pk}/change/" in page
    page = admin_client.get(NOTICES, {"state": NoticeState.SENT}).content.decode()
    assert f"/admin/bearman/notice/{sent.pk}/change/" in page
    assert scrape(client)[UNDELIVERABLE] == before + 1


def test_notices_are_read_only_in_the_admin(admin_client, webhook):
    notice = notice_raise(node=NodeFactory(), kind=NoticeKind.BMC_UNREACHABLE, message="x")
    assert admin_client.get(reverse("admin:bearman_notice_add")).status_code == 403
    change = reverse("admin:bearman_notice_change", args=[notice.pk])
    page = admin_client.get(change).content.decode()
    assert "BMC not answering" in page and 'name="_save"' not in page
    admin_client.post(change, {"message": "edited", "state": "sent"})
    notice.refresh_from_db()
    assert notice.message == "x" and notice.state == NoticeState.PENDING
