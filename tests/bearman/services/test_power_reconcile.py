"""Operations no worker holds: sent again through the real broker, or failed with a cause."""

import datetime

import pytest
from django.utils import timezone

from bearman.models import OperationState, PowerOperation
from bearman.services.power.reconcile import power_operations_resend
from bearman.services.power.run import power_operation_run, power_operations_reap
from bearman.services.queueing import Lane, zone_queue_name
from tests.bearman.power.worker import celery_worker, queued_power_operations, shared_broker
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db(transaction=True)
# The queues of the factory's nodes' zone (az1).
OPERATOR, BACKGROUND = (zone_queue_name("az1", lane) for lane in Lane)


@pytest.fixture
def broker(tmp_path):
    with shared_broker(tmp_path) as env:
        yield env


def waiting(seconds_ago: float, *, by="alice", **fields) -> PowerOperation:
    """An operation queued `seconds_ago` whose message is gone: nothing was sent for it."""
    queued_at = timezone.now() - datetime.timedelta(seconds=seconds_ago)
    node = NodeFactory(bmc_driver="fake", bmc_address="10.8.0.1")
    return PowerOperation.objects.create(
        node=node, action="status", requested_by=by, queued_at=queued_at, **fields
    )


def test_an_operation_no_worker_claimed_is_sent_again_in_its_own_lane(broker):
    operators, bearmans = waiting(61), waiting(61, by="system")
    young = waiting(30)
    assert power_operations_resend() == 2
    assert queued_power_operations(OPERATOR) == [operators.pk]
    assert queued_power_operations(BACKGROUND) == [bearmans.pk]
    assert power_operations_resend() == 0  # not due again yet
    young.refresh_from_db()
    assert young.deadline_at is None
    # The copy runs it as the lost message would have; any later copy finds it done.
    assert power_operation_run(operation_id=operators.pk).state == OperationState.SUCCEEDED
    assert power_operation_run(operation_id=operators.pk) is None


def test_copies_come_further_apart_the_longer_an_operation_waits(broker, settings):
    settings.BEARMAN_POWER_QUEUE_SECONDS = 3600
    operation = waiting(61)
    waits = []
    for _ in range(6):
        PowerOperation.objects.filter(pk=operation.pk).update(deadline_at=timezone.now())
        before = timezone.now()
        assert power_operations_resend() == 1
        operation.refresh_from_db()
        waits.append(round((operation.deadline_at - before).total_seconds() / 60))
        # Time passes: the operation has waited until its next send.
        PowerOperation.objects.filter(pk=operation.pk).update(
            queued_at=operation.queued_at - (operation.deadline_at - before)
        )
    assert waits == [1, 2, 4, 8, 8, 8]  # minutes: as long again as it waited, at most 8
    assert len(queued_power_operations(OPERATOR)) == 6


def test_an_operation_past_its_queue_deadline_is_not_sent_but_failed(broker, settings):
    settings.BEARMAN_POWER_QUEUE_SECONDS = 600
    operation = waiting(601, deadline_at=timezone.now() - datetime.timedelta(seconds=5))
    assert power_operations_resend() == 0
    assert queued_power_operations(OPERATOR) == []
    assert power_operations_reap() == 1
    operation.refresh_from_db()
    assert operation.state == OperationState.FAILED
    assert operation.error == (
        "no worker took it within 10 min, though it was sent again each time its message "
        "went unclaimed; no Celery worker answered: is one running?"
    )


def test_a_copy_that_could_not_be_sent_in_time_is_blamed_on_what_stopped_it(broker):
    # Due at 06:00 and never sent: the re-sender did not run (database or beat away).
    due = timezone.now() - datetime.timedelta(minutes=10)
    operation = waiting(3600, deadline_at=due)
    assert power_operations_reap() == 1
    operation.refresh_from_db()
    assert operation.error.startswith(
        f"no worker took it within 15 min; it was due to be sent again at {due:%H:%M:%S} UTC "
        "and nothing could send it (Bearman's database or celery beat was unavailable); "
    )


def test_the_reaper_says_when_the_workers_do_not_serve_the_operations_queue(broker, tmp_path):
    operation = waiting(3600, by="system", deadline_at=timezone.now())
    elsewhere = {**broker, "BEARMAN_WORKER_ZONES": "elsewhere"}
    with celery_worker(elsewhere, log=tmp_path / "worker.log"):
        assert power_operations_reap() == 1
    operation.refresh_from_db()
    assert operation.error.endswith(
        "do not serve its queue 'zone.az1.background' (no worker of zone az1 is running)"
    )
    assert "the workers that answered (celery@" in operation.error


def test_the_reaper_says_when_workers_serve_the_queue_but_took_nothing(broker, tmp_path):
    operation = waiting(3600, deadline_at=timezone.now())
    with celery_worker(broker, log=tmp_path / "worker.log"):
        assert power_operations_reap() == 1
    operation.refresh_from_db()
    assert operation.error.endswith(
        "1 worker(s) serving its queue 'zone.az1.operator' answered: they were busy with other "
        "work or could not reach the database (their log says which)"
    )
