"""A real worker with beat against a webhook that is down, then up: one flusher, a bounded
number of posts, and every notice delivered exactly once."""

import re
import time
from collections import Counter

import pytest

from bearman.models import Notice, NoticeKind
from bearman.services.notices import notice_raise
from tests.bearman.power.worker import celery_worker, shared_broker
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db(transaction=True)
WORKER_SETTINGS = {
    "BEARMAN_OPERATIONS_CHECK_SECONDS": "1",  # a beat flush every second
    "BEARMAN_NOTIFY_BATCH_SECONDS": "1",
    "BEARMAN_NOTIFY_RETRY_SECONDS": "1",  # backoff 1, 2, 4, 4… s
    "BEARMAN_NOTIFY_RETRY_MAX_SECONDS": "4",
    "BEARMAN_NOTIFY_TIMEOUT_SECONDS": "2",
}
OUTAGE = 20  # seconds: half answering 500, half refusing connections


def raise_during(seconds: float, node) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        number = Notice.objects.count()
        notice_raise(node=node, kind=NoticeKind.BMC_UNREACHABLE, message=f"BMC silent #{number}")
        time.sleep(2)


def wait_until_all_sent(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while Notice.objects.filter(sent_at=None).exists():
        assert time.monotonic() < deadline, "notices still waiting after the webhook came back"
        time.sleep(0.2)


def test_a_webhook_outage_is_one_flusher_with_backoff_then_each_notice_once(tmp_path, webhook):
    webhook.status, webhook.delay = 500, 0.3
    log = tmp_path / "worker.log"
    with shared_broker(tmp_path) as env:
        env = {**env, **WORKER_SETTINGS, "BEARMAN_NOTIFY_WEBHOOK_URL": webhook.url}
        with celery_worker(env, beat=True, log=log):
            node = NodeFactory()
            raise_during(OUTAGE / 2, node)
            posts_while_500 = len(webhook.sizes)
            webhook.down()
            raise_during(OUTAGE / 2, node)
            webhook.status = None
            webhook.up()
            wait_until_all_sent(15)
            time.sleep(3)  # a duplicate post would come now
    text = log.read_text()
    failed_posts = text.count("notices not delivered")  # 500s and refused connections
    flushes = Counter(
        re.findall(r"Task bearman\.tasks\.notices_flush\[([0-9a-f-]+)\] received", text)
    )
    delivered = Counter(webhook.delivered())
    print(
        f"outage {OUTAGE} s: {len(flushes)} flush tasks, {posts_while_500} posts answered 500, "
        f"{failed_posts} failed posts in all, most at once {webhook.most_in_flight}; "
        f"{len(delivered)} notices delivered, {sum(delivered.values()) - len(delivered)} "
        f"duplicates, {Notice.objects.filter(sent_at=None).count()} not delivered"
    )
    # Without the backoff every flush would have posted (tens of posts).
    assert 1 <= posts_while_500 <= 5 and failed_posts <= 8
    # One flush task per beat tick and per notice raised, each run once: no retry chains.
    assert len(flushes) > OUTAGE and set(flushes.values()) == {1}
    assert webhook.most_in_flight == 1
    assert set(delivered) == set(Notice.objects.values_list("message", flat=True))
    assert len(delivered) >= 6 and set(delivered.values()) == {1}
