"""Redeploying through the API: a new run that carries nothing of the failed one."""

import datetime

import pytest
from django.utils import timezone

from bearman.models import EventKind
from bearman.states import DeployStatus
from tests.factories import BaremetalFactory, NodeFactory

pytestmark = pytest.mark.django_db

BAREMETALS = "/api/v1/baremetals/"


def failed_run(*, power: str):
    start = timezone.now() - datetime.timedelta(hours=2)
    return BaremetalFactory(
        node=NodeFactory(power_state=power),
        status=DeployStatus.UNRECOVERABLE_ERROR,
        last_error="install script exited with status 1",
        deploy_started_at=start,
        deploying_at=start + datetime.timedelta(minutes=3),
        detail_at=start + datetime.timedelta(minutes=4),
        failed_at=start + datetime.timedelta(minutes=9),
        claimed_from="10.0.0.9",
    )


def test_redeploy_clears_the_failed_runs_times_and_error(operator):
    baremetal = failed_run(power="off")
    response = operator.post(f"{BAREMETALS}{baremetal.pk}/redeploy/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "deploy_start"
    assert (body["deploying_at"], body["failed_at"], body["last_error"]) == (None, None, "")
    baremetal.refresh_from_db()
    assert baremetal.deploy_started_at > timezone.now() - datetime.timedelta(minutes=1)
    stale = ("deploying_at", "detail_at", "installed_at", "failed_at", "claimed_from")
    assert [getattr(baremetal, name) for name in stale] == [None] * len(stale)
    assert not baremetal.node.events.filter(message__contains="power cycle").exists()


def test_redeploying_a_node_that_is_on_says_to_power_cycle_it(operator):
    baremetal = failed_run(power="on")
    assert operator.post(f"{BAREMETALS}{baremetal.pk}/redeploy/").status_code == 200
    event = baremetal.node.events.filter(kind=EventKind.BAREMETAL).latest("pk")
    assert event.actor == "operator"
    assert event.message == (
        f"{baremetal.hostname}: the node is on, so a power on changes nothing: "
        "power cycle it to boot into the new deploy"
    )
    listed = operator.get(f"/api/v1/nodes/{baremetal.node.uuid}/events/")
    assert event.message in listed.content.decode()
