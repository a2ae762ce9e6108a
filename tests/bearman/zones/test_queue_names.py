"""Zone queues on the real brokers, whatever an operator called the zone."""

import pytest
from django.db import transaction

from bearman.celery import app as celery_app
from bearman.models import NoticeKind
from bearman.services.notices import notice_raise
from bearman.services.queueing import Lane, TaskName, task_queue, zone_of_queue, zone_queue_name
from bearman.services.zones import broker_queue_lengths
from tests.factories import NodeFactory

from .support import RABBITMQ_URL, broker, redis_url

ODD_ZONES = ["a", "Paris 2/β", "rack.7.operator", "amq.x", "%41"]


@pytest.mark.parametrize("url", [redis_url(), RABBITMQ_URL], ids=["redis", "rabbitmq"])
def test_any_zone_name_makes_a_queue_both_brokers_take_and_count(url):
    with broker(url, ODD_ZONES):
        for zone in ODD_ZONES:
            assert task_queue(
                TaskName.POWER_OPERATION, 1, zone=zone, what="test", meanwhile="nothing"
            )
        names = [zone_queue_name(zone, lane) for zone in ODD_ZONES for lane in Lane]
        lengths = broker_queue_lengths(names)
    assert lengths == {name: 1 if name.endswith(".operator") else 0 for name in names}, (
        "a message went elsewhere, or a queue was refused"
    )


def test_a_queue_name_gives_back_its_zone_and_lane_and_other_queues_none():
    for zone in ODD_ZONES:
        for lane in Lane:
            assert zone_of_queue(zone_queue_name(zone, lane)) == (zone, lane)
    assert zone_queue_name("rack.7", Lane.OPERATOR) != zone_queue_name("rack", Lane.OPERATOR)
    assert [zone_of_queue(name) for name in ("celery", "background", "zone.a.x")] == [None] * 3


@pytest.mark.django_db(transaction=True)
def test_notice_flushes_raised_or_from_beat_wait_in_the_background_lane():
    """A flush may wait on a slow webhook for a minute: never in an operator's lane."""
    with broker(redis_url(), []):
        with transaction.atomic():
            notice_raise(node=NodeFactory(), kind=NoticeKind.BAREMETAL_FAILED, message="x")
        celery_app.send_task(TaskName.NOTICES_FLUSH)  # as beat sends it: routed by settings
        lengths = broker_queue_lengths([lane.value for lane in Lane])
    assert lengths == {Lane.OPERATOR.value: 0, Lane.BACKGROUND.value: 2}
