"""An oversize batch is split: a webhook answering 413 above 64 KiB (as Slack does) gets
every notice, in messages it takes, once each."""

from collections import Counter

import pytest

from bearman.models import Notice, NoticeKind
from bearman.services.notices import notice_raise, notices_flush
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db


def raise_notices(count: int, *, message: str) -> list[Notice]:
    node = NodeFactory()
    return [
        notice_raise(node=node, kind=NoticeKind.BAREMETAL_FAILED, message=f"#{i} {message}")
        for i in range(count)
    ]


def assert_each_delivered_once(webhook) -> None:
    delivered = Counter(webhook.delivered())
    assert set(delivered) == set(Notice.objects.values_list("message", flat=True))
    assert max(delivered.values()) == 1, "a notice was posted twice"
    assert not Notice.objects.filter(sent_at=None).exists()


def test_a_2_mb_burst_goes_out_in_messages_under_64_kib(webhook):
    webhook.max_bytes = 64 * 1024  # Slack-like: 413 above it
    raise_notices(200, message="x" * 5000)  # ~2.2 MB as one message
    assert notices_flush() == 200
    assert 200 * 10_000 < sum(webhook.sizes) < 3 * 1024 * 1024
    assert max(webhook.sizes) <= 64 * 1024 and len(webhook.posts) == len(webhook.sizes)
    assert_each_delivered_once(webhook)


def test_a_webhook_taking_less_than_the_setting_gets_halves_until_they_fit(webhook, settings):
    settings.BEARMAN_NOTIFY_MAX_BYTES = 4 * 1024 * 1024
    webhook.max_bytes = 16 * 1024
    raise_notices(200, message="x" * 5000)
    assert notices_flush() == 200
    refused = [size for size in webhook.sizes if size > 16 * 1024]
    assert 0 < len(refused) < 70 and len(webhook.posts) < 256
    assert_each_delivered_once(webhook)


def test_a_notice_too_large_alone_is_cut_and_sent_and_kept_whole(webhook):
    (big,) = raise_notices(1, message="y" * 300_000)
    assert notices_flush() == 1
    (item,) = webhook.posts[0]["notices"]
    assert item["message"].startswith("#0 yyy")
    assert item["message"].endswith(
        "[cut to fit the webhook: 300003 characters in all, full text in the admin]"
    )
    assert max(webhook.sizes) <= 64 * 1024
    big.refresh_from_db()
    assert len(big.message) == 300_003 and big.sent_at is not None
