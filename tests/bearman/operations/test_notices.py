import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from bearman.models import Notice, NoticeKind
from bearman.services.notices import NoticeDeliveryFailed, notice_raise, notices_flush
from tests.factories import BaremetalFactory, NodeFactory

pytestmark = pytest.mark.django_db


def test_one_failure_is_one_notice_with_what_an_operator_needs(webhook):
    baremetal = BaremetalFactory(hostname="db07.r12.example.test")
    node = baremetal.node
    notice_raise(
        node=node,
        kind=NoticeKind.BAREMETAL_FAILED,
        message="install.sh exited 2",
        ssh_address="10.10.0.57",
    )
    assert notices_flush() == 1
    (post,) = webhook.posts
    (item,) = post["notices"]
    assert item["node_uuid"] == node.uuid and item["serial"] == node.serial
    assert item["hostname"] == "db07.r12.example.test"
    assert item["what"] == "Baremetal failed" and item["message"] == "install.sh exited 2"
    assert item["ssh"] == "ssh root@10.10.0.57"
    assert item["admin_url"] == f"https://bearman.example.test/admin/bearman/node/{node.pk}/change/"
    assert item["when"]
    for part in [node.uuid, "db07.r12.example.test", "install.sh exited 2", "ssh root@10.10.0.57"]:
        assert part in post["text"]
    assert Notice.objects.get().sent_at is not None


def test_a_burst_of_40_failures_is_one_rolled_up_message(webhook):
    nodes = NodeFactory.create_batch(40)
    for index, node in enumerate(nodes):
        notice_raise(
            node=node,
            kind=NoticeKind.REGISTRATION_FAILED,
            message="ipmitool: no BMC",
            ssh_address=f"10.10.1.{index + 1}",
        )
    assert notices_flush() == 40
    assert len(webhook.posts) == 1
    post = webhook.posts[0]
    assert post["text"].startswith(":rotating_light: 40 Bearman notices:")
    assert {item["node_uuid"] for item in post["notices"]} == {n.uuid for n in nodes}
    assert notices_flush() == 0 and len(webhook.posts) == 1  # nothing sent twice


def test_a_webhook_that_is_down_loses_nothing(webhook, settings):
    node = NodeFactory()
    notice_raise(node=node, kind=NoticeKind.BMC_UNREACHABLE, message="BMC silent")
    webhook.failing = True
    with pytest.raises(NoticeDeliveryFailed, match="503"):
        notices_flush()
    notice = Notice.objects.get()
    assert notice.sent_at is None and notice.claimed_at is None and notice.attempts == 1
    assert "503" in notice.last_error
    webhook.failing = False
    # The webhook is left alone for the backoff, then the next flush delivers.
    assert notices_flush() == 0 and webhook.posts == []
    later = timezone.now() + timedelta(seconds=settings.BEARMAN_NOTIFY_RETRY_SECONDS + 1)
    assert notices_flush(now=later) == 1
    assert webhook.posts[0]["notices"][0]["message"] == "BMC silent"


def test_an_unreachable_webhook_fails_within_the_timeout(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.BEARMAN_NOTIFY_WEBHOOK_URL = f"http://127.0.0.1:{port}/hook"
    notice_raise(node=NodeFactory(), kind=NoticeKind.BMC_UNREACHABLE, message="x")
    with pytest.raises(NoticeDeliveryFailed):
        notices_flush()
    assert Notice.objects.get().sent_at is None


def test_without_a_webhook_notices_wait(settings):
    settings.BEARMAN_NOTIFY_WEBHOOK_URL = ""
    notice_raise(node=NodeFactory(), kind=NoticeKind.BMC_UNREACHABLE, message="x")
    assert notices_flush() == 0
    assert Notice.objects.get().sent_at is None
