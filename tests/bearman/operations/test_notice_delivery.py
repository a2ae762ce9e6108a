"""Delivery through a webhook that fails: bounded posts while it is down, one flusher at a
time, oversize batches split, and what it never takes given up on visibly.

The service takes `now`, so ten minutes of a webhook outage pass in a moment.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from bearman.models import Notice, NoticeKind
from bearman.models.notice import NoticeFlusher, NoticeState, NoticeUndeliverable
from bearman.services.notices import NoticeDeliveryFailed, notice_raise, notices_flush
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db
BEAT = timedelta(seconds=5)


def flush_at(now) -> int:
    try:
        return notices_flush(now=now)
    except NoticeDeliveryFailed:
        return 0


def raise_notices(count: int, *, message: str = "install.sh exited 2") -> list[Notice]:
    node = NodeFactory()
    first = Notice.objects.count()
    return [
        notice_raise(node=node, kind=NoticeKind.BAREMETAL_FAILED, message=f"#{i} {message}")
        for i in range(first, first + count)
    ]


def assert_each_delivered_once(webhook) -> None:
    delivered = Counter(webhook.delivered())
    assert set(delivered) == set(Notice.objects.values_list("message", flat=True))
    assert max(delivered.values()) == 1, "a notice was posted twice"
    assert not Notice.objects.exclude(state=NoticeState.SENT).exists()


def test_ten_minutes_of_webhook_outage_cost_a_few_posts_and_lose_nothing(webhook):
    start = timezone.now()
    raise_notices(3)
    webhook.down()  # connections refused for five minutes, then 500 for five more
    now, refused_flushes = start, 0
    while now < start + timedelta(minutes=10):
        if now == start + timedelta(minutes=5):
            webhook.up()
            webhook.status = 500
        if (now - start).seconds % 60 == 0:
            raise_notices(1)  # failures go on meanwhile
        refused_flushes += now < start + timedelta(minutes=5)
        assert flush_at(now) == 0
        now += BEAT
    flusher = NoticeFlusher.objects.get()
    # 120 flushes (one per beat tick); the backoff (30 s doubling to 300 s) let 5 post:
    # at 0:00, 0:30, 1:30 and 3:30 (refused), at 7:30 (500); the next at 12:30.
    assert refused_flushes == 60 and flusher.failures == 5
    assert len(webhook.sizes) == 1
    assert max(Notice.objects.values_list("attempts", flat=True)) == 5
    webhook.status = None
    recovered = None
    while recovered is None:
        if flush_at(now):
            recovered = now - start - timedelta(minutes=10)
        now += BEAT
    assert recovered <= timedelta(seconds=300)  # at most the longest backoff
    assert Notice.objects.count() == 13
    assert_each_delivered_once(webhook)
    assert NoticeFlusher.objects.get().failures == 0


def test_a_flusher_holding_the_lease_excludes_others_until_it_lapses(webhook):
    raise_notices(2)
    now = timezone.now()
    NoticeFlusher.objects.create(pk=1, holder="another worker", leased_until=now + BEAT)
    assert notices_flush(now=now) == 0 and webhook.sizes == []
    # That flusher died: its lease lapses and the next flush delivers.
    assert notices_flush(now=now + 2 * BEAT) == 2
    assert_each_delivered_once(webhook)
    assert NoticeFlusher.objects.get().leased_until is None


def test_a_notice_the_webhook_cannot_take_even_cut_is_undeliverable(webhook):
    webhook.max_bytes = 300  # less than any one notice
    small, big = raise_notices(1)[0], raise_notices(1, message="z" * 90_000)[0]
    assert notices_flush() == 0
    for notice in (small, big):
        notice.refresh_from_db()
        assert notice.state == NoticeState.UNDELIVERABLE
        assert notice.undeliverable == NoticeUndeliverable.TOO_LARGE
        assert "413" in notice.last_error
    # The small one was posted (and cut) until it could shrink no more; the large one,
    # larger than what the webhook had refused, was never posted at all.
    assert small.attempts >= 1 and big.attempts == 0
    posts = len(webhook.sizes)
    assert notices_flush() == 0  # given up: never posted again
    assert len(webhook.sizes) == posts


def test_a_notice_the_webhook_keeps_refusing_is_given_up_after_the_attempts(webhook, settings):
    settings.BEARMAN_NOTIFY_MAX_ATTEMPTS = 3
    (notice,) = raise_notices(1)
    webhook.status = 400
    now = timezone.now()
    for _ in range(40):
        flush_at(now)
        now += BEAT
    notice.refresh_from_db()
    assert notice.state == NoticeState.UNDELIVERABLE and notice.attempts == 3
    assert notice.undeliverable == NoticeUndeliverable.REFUSED and "400" in notice.last_error
    assert len(webhook.sizes) == 3


def test_429_waits_for_retry_after(webhook):
    raise_notices(1)
    webhook.status, webhook.retry_after = 429, "120"
    now = timezone.now()
    with pytest.raises(NoticeDeliveryFailed, match="429.*next try in 120 s"):
        notices_flush(now=now)
    webhook.status = None
    assert notices_flush(now=now + timedelta(seconds=115)) == 0 and len(webhook.sizes) == 1
    assert notices_flush(now=now + timedelta(seconds=121)) == 1
    assert_each_delivered_once(webhook)


def test_a_notice_waiting_too_long_is_given_up(webhook, settings):
    (notice,) = raise_notices(1)
    webhook.failing = True
    assert flush_at(timezone.now()) == 0
    assert flush_at(timezone.now() + timedelta(hours=49)) == 0
    notice.refresh_from_db()
    assert notice.state == NoticeState.UNDELIVERABLE and notice.attempts == 1
    assert notice.undeliverable == NoticeUndeliverable.EXPIRED and "503" in notice.last_error
