"""A zone whose worker stopped: its operations say so at once, the other zone runs on.

Real workers for zones a and b on the broker; the node page, the admin's Zones page and
/metrics are read as an operator and Prometheus would.
"""

import re
import time

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from bearman.models import OperationState, PowerOperation
from bearman.services.power.request import power_action_request
from tests.factories import NodeFactory

from ..power.worker import celery_worker, kill_worker
from .support import broker, redis_url

pytestmark = pytest.mark.django_db(transaction=True)
ZONES_PAGE = reverse("admin:bearman_zones")
NOBODY_IN_B = "waiting for a worker of zone b — none is running"


def node_page(client, node) -> str:
    return client.get(reverse("admin:bearman_node_change", args=[node.pk])).content.decode()


def finished(operation_id: int, seconds: float) -> PowerOperation:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        operation = PowerOperation.objects.get(pk=operation_id)
        if operation.state in (OperationState.SUCCEEDED, OperationState.FAILED):
            return operation
        time.sleep(0.2)
    return operation


def gauge(text: str, name: str, **labels) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    found = re.search(rf"^{name}\{{{re.escape(wanted)}\}} (\S+)$", text, re.MULTILINE)
    assert found, f"{name}{{{wanted}}} is not in /metrics:\n{text[-3000:]}"
    return float(found.group(1))


def test_an_operation_of_a_zone_without_a_worker_says_so_and_runs_once_one_starts(
    admin_client, admin_user, client, tmp_path
):
    url = redis_url()
    env = {"CELERY_BROKER_URL": url, "BEARMAN_VAR_DIR": str(tmp_path)}
    site_b = {**env, "BEARMAN_WORKER_ZONES": "b", "BEARMAN_WORKER_SHARED_QUEUES": "false"}
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    in_a = NodeFactory(availability_zone="a", bmc_driver="fake", bmc_address="10.0.0.1")
    in_b = NodeFactory(availability_zone="b", bmc_driver="fake", bmc_address="10.0.0.2")
    with (
        broker(url, ["a", "b"]),
        celery_worker({**env, "BEARMAN_WORKER_ZONES": "a"}, log=logs[0], hostname="zone-a@%h"),
    ):
        with celery_worker(site_b, log=logs[1], hostname="zone-b@%h") as worker_b:
            page = admin_client.get(ZONES_PAGE).content.decode()
            assert "served by zone-a@" in page and "served by zone-b@" in page
        kill_worker(worker_b)  # stopped: zone b has no worker now

        started = time.monotonic()
        waiting = power_action_request(node=in_b, action="on", actor="alice")
        while NOBODY_IN_B not in node_page(admin_client, in_b):
            assert time.monotonic() - started < 10, "zone b's operation waited silently"
            time.sleep(0.5)
        shown_after = time.monotonic() - started

        # Zone a is unaffected, and its own operations are not said to wait.
        running = power_action_request(node=in_a, action="on", actor="alice")
        assert finished(running.pk, 10).state == OperationState.SUCCEEDED, logs[0].read_text()
        assert "waiting for a worker" not in node_page(admin_client, in_a)

        operations = admin_client.get(reverse("admin:bearman_poweroperation_changelist"))
        assert NOBODY_IN_B in operations.content.decode()
        api = APIClient()
        api.force_authenticate(admin_user)
        assert api.get(f"/api/v1/power-operations/{waiting.pk}/").json()["waiting"] == NOBODY_IN_B
        assert api.get(f"/api/v1/power-operations/{running.pk}/").json()["waiting"] == ""
        page = admin_client.get(ZONES_PAGE).content.decode()
        assert "no worker of zone b is running" in page
        assert "served by zone-a@" in page
        metrics = client.get("/metrics").content.decode()
        for lane in ("operator", "background"):
            assert gauge(metrics, "bearman_zone_workers", zone="a", lane=lane) == 1
            assert gauge(metrics, "bearman_zone_workers", zone="b", lane=lane) == 0
        assert gauge(metrics, "bearman_zone_waiting_operations", zone="b") == 1
        assert gauge(metrics, "bearman_zone_oldest_waiting_seconds", zone="b") > 0
        assert gauge(metrics, "bearman_zone_queue_length", zone="b", lane="operator") == 1
        assert PowerOperation.objects.get(pk=waiting.pk).state == OperationState.PENDING

        # Zone b's worker starts again: it takes the operation that waited.
        with celery_worker(site_b, log=logs[1], hostname="zone-b@%h"):
            done = finished(waiting.pk, 30)
            assert done.state == OperationState.SUCCEEDED, logs[1].read_text()[-2000:]
            assert NOBODY_IN_B not in node_page(admin_client, in_b)
    assert shown_after < 10
