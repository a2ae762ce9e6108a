from datetime import timedelta

import pytest
from django.utils import timezone

from bearman.models import Baremetal, Node, Notice, NoticeKind
from bearman.services.deadlines import baremetals_flag_stuck, nodes_flag_silent_bmcs
from bearman.states import DeployStatus, NodeStatus
from tests.factories import BaremetalFactory, NodeFactory

pytestmark = pytest.mark.django_db
T0 = timezone.now()


@pytest.fixture(autouse=True)
def _deadlines(settings):
    settings.BEARMAN_DEPLOY_DEADLINE_MINUTES = 60
    settings.BEARMAN_BMC_DEADLINE_MINUTES = 30


def test_a_baremetal_stuck_past_its_deadline_fails_with_a_notice():
    waiting = BaremetalFactory(status=DeployStatus.DEPLOY_START, deploy_started_at=T0)
    running = BaremetalFactory(
        status=DeployStatus.DEPLOYING, deploy_started_at=T0, deploying_at=T0 + timedelta(minutes=30)
    )
    assert baremetals_flag_stuck(now=T0 + timedelta(minutes=59)) == 0
    assert baremetals_flag_stuck(now=T0 + timedelta(minutes=61)) == 1
    waiting.refresh_from_db()
    assert waiting.status == DeployStatus.UNRECOVERABLE_ERROR
    assert "stuck in Deploy start for more than 60 minutes" in waiting.last_error
    assert Baremetal.objects.get(pk=running.pk).status == DeployStatus.DEPLOYING
    assert baremetals_flag_stuck(now=T0 + timedelta(minutes=91)) == 1
    assert Baremetal.objects.get(pk=running.pk).status == DeployStatus.UNRECOVERABLE_ERROR
    assert Notice.objects.filter(kind=NoticeKind.BAREMETAL_STUCK).count() == 2
    assert baremetals_flag_stuck(now=T0 + timedelta(days=1)) == 0  # flagged once


def test_installed_baremetals_are_left_alone():
    BaremetalFactory(status=DeployStatus.INSTALLED, deploy_started_at=T0)
    assert baremetals_flag_stuck(now=T0 + timedelta(days=3)) == 0


def test_a_registered_node_whose_bmc_never_answered_is_flagged():
    silent = NodeFactory(status=NodeStatus.REGISTERED, last_registered_at=T0)
    answered = NodeFactory(status=NodeStatus.REGISTERED, last_registered_at=T0, power_state="off")
    assert nodes_flag_silent_bmcs(now=T0 + timedelta(minutes=29)) == 0
    assert nodes_flag_silent_bmcs(now=T0 + timedelta(minutes=31)) == 1
    assert Node.objects.get(pk=silent.pk).status == NodeStatus.ERROR
    assert Node.objects.get(pk=answered.pk).status == NodeStatus.REGISTERED
    notice = Notice.objects.get()
    assert notice.kind == NoticeKind.BMC_UNREACHABLE and "has not answered" in notice.message
