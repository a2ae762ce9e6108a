"""A BMC's circuit breaker: it opens after N silent answers in a row, shows on the node
page, the API and /metrics, costs the sync nothing while open, and closes on a success."""

import datetime
import re
import time

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from bearman.models import Node, OperationState
from bearman.services import node_set_bmc_password
from bearman.services.api_tokens import api_token_issue
from bearman.services.power.bmc_check import SYSTEM
from bearman.services.power.request import power_action_request
from bearman.services.power.run import power_operation_run
from bearman.services.power.sync import power_sync_nodes
from bearman.states import NodeStatus
from tests.bearman.test_health import scrape
from tests.factories import NodeFactory

from .helpers import PASSWORD, USER, virtual_bmcs
from .recording_relay import recording_relays

pytestmark = pytest.mark.django_db
LIVE = 24
FAILURES = 2
DEAD_TIMEOUT = 4  # seconds the silent BMC costs each time it is asked


@pytest.fixture
def breaker_settings(settings):
    settings.BEARMAN_BMC_BREAKER_FAILURES = FAILURES
    settings.BEARMAN_BMC_BREAKER_BACKOFF_SECONDS = 60
    settings.BEARMAN_BMC_MIN_COMMAND_INTERVAL_SECONDS = 0  # back-to-back syncs here
    return settings


def ipmi_node(port, timeout):
    node = NodeFactory(
        bmc_address="127.0.0.1",
        bmc_port=port,
        bmc_username=USER,
        bmc_options={"timeout": timeout},
        status=NodeStatus.READY,  # no BMC check left to make
    )
    return node_set_bmc_password(node=node, password=PASSWORD, actor="test")


def timed_sync(nodes):
    started = time.monotonic()
    report = power_sync_nodes(node_ids=[node.pk for node in nodes], parallel=8)
    return report, time.monotonic() - started


def run(node, actor):
    operation = power_action_request(node=node, action="status", actor=actor)
    return power_operation_run(operation_id=operation.pk)


def test_a_dead_bmc_is_backed_off_shown_and_closed_again_by_a_success(
    breaker_settings, admin_client, admin_user
):
    with virtual_bmcs(LIVE + 1) as port, recording_relays(port + LIVE) as (dead_bmc,):
        live = [ipmi_node(port + i, timeout=5) for i in range(LIVE)]
        dead = ipmi_node(dead_bmc.port, timeout=DEAD_TIMEOUT)
        dead_bmc.silent.set()
        _, without_it = timed_sync(live)

        for _ in range(FAILURES):
            report, elapsed = timed_sync([*live, dead])
            assert list(report.failed) == [dead.pk] and len(report.seen) == LIVE
            assert elapsed >= DEAD_TIMEOUT
        asked = len(dead_bmc.arrivals)

        # Open: the sync leaves it alone, so nothing waits for its silence (asking it
        # costs DEAD_TIMEOUT, as above; the live ones alone took `without_it`).
        report, elapsed = timed_sync([*live, dead])
        assert list(report.skipped) == [dead.pk] and len(report.seen) == LIVE
        assert len(dead_bmc.arrivals) == asked
        assert elapsed < DEAD_TIMEOUT, (elapsed, without_it)
        # Bearman's own check fails at once, in plain words, without a packet sent.
        check = run(dead, SYSTEM)
        assert check.state == OperationState.FAILED
        assert re.match(
            rf"BMC 127\.0\.0\.1:{dead_bmc.port} failed {FAILURES} times in a row; "
            r"next try after \d\d:\d\d:\d\d — last error: BMC .* did not answer within 4 s",
            check.error,
        ), check.error
        assert len(dead_bmc.arrivals) == asked
        assert_shown(admin_client, dead, "Open: failed 2 times in a row since")

        # An operator's action is tried anyway (the half-open probe); silence opens it
        # again for twice as long.
        probe = run(dead, "alice")
        assert probe.state == OperationState.FAILED
        assert len(dead_bmc.arrivals) > asked
        backoff = api_breaker(dead, admin_user)["next_try"] - timezone.now()
        assert 100 < backoff.total_seconds() <= 120, backoff

        # The BMC answers again: the next operator's action closes the breaker.
        dead_bmc.silent.clear()
        assert run(dead, "alice").state == OperationState.SUCCEEDED
        report, _ = timed_sync([*live, dead])
        assert dead.pk in report.seen
    assert_shown(admin_client, dead, "Closed: answering")
    assert api_breaker(dead, admin_user)["state"] == "closed"


def assert_shown(admin_client, node, text):
    page = admin_client.get(reverse("admin:bearman_node_change", args=[node.pk]))
    assert text in page.content.decode()
    breakers = {
        labels[0][1]: value
        for (name, labels), value in scrape(admin_client).items()
        if name == "bearman_bmc_breakers"
    }
    open_now = 1 if text.startswith("Open") else 0
    assert breakers == {"closed": LIVE + 1 - open_now, "open": open_now, "half_open": 0}


def api_breaker(node: Node, user) -> dict:
    """The node's breaker as the REST API's node detail shows it."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user)[1]}")
    breaker = client.get(f"/api/v1/nodes/{node.uuid}/").json()["bmc_breaker"]
    if breaker["next_try"]:
        breaker["next_try"] = datetime.datetime.fromisoformat(breaker["next_try"])
    return breaker
