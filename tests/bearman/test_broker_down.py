"""A broker that is down after a request committed never turns that request into an error."""

import logging
import socket
import time

import pytest

from bearman.celery import app as celery_app
from bearman.models import NoticeKind, OperationState, PowerAction
from bearman.services.notices import notice_raise
from bearman.services.power.request import power_action_request
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    """Point Celery at a Redis port where nothing listens."""
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    saved = celery_app.conf.broker_url
    nowhere = f"redis://127.0.0.1:{port}/0"
    # Celery reads CELERY_BROKER_URL from the environment before its own setting.
    monkeypatch.setenv("CELERY_BROKER_URL", nowhere)
    celery_app.conf.broker_url = nowhere
    celery_app._pool = None  # Celery caches connections for the old URL
    celery_app.amqp._producer_pool = None
    yield
    celery_app.conf.broker_url = saved
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_a_power_request_stands_and_says_so_in_the_log(
    broker_down, django_capture_on_commit_callbacks, caplog
):
    node = NodeFactory(bmc_address="10.9.0.5")
    caplog.set_level(logging.ERROR, logger="bearman.services.queueing")
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        operation = power_action_request(node=node, action=PowerAction.ON, actor="alice")
    assert time.monotonic() - started < 15
    operation.refresh_from_db()
    assert operation.state == OperationState.PENDING  # the reaper fails it in time
    assert f"power operation #{operation.pk} not queued" in caplog.text


def test_a_notice_stands_for_the_periodic_flush(
    broker_down, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.ERROR, logger="bearman.services.queueing")
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_raise(node=NodeFactory(), kind=NoticeKind.BMC_UNREACHABLE, message="x")
    notice.refresh_from_db()
    assert notice.sent_at is None
    assert "notice flush not queued" in caplog.text
