"""A worker of the operator lane only (the Procfile's worker-operator): it runs what people
ask for and leaves Bearman's own background work to the other workers."""

import time

import pytest

from bearman.models import OperationState, PowerOperation
from bearman.services.power.bmc_check import SYSTEM
from bearman.services.power.request import power_action_request, power_actions_request_many

from .helpers import virtual_bmcs
from .recording_relay import recording_relays
from .test_pacing import node_behind, wait_for
from .worker import celery_worker, shared_broker

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_operator_worker_takes_operators_actions_and_leaves_background_work(tmp_path):
    log = tmp_path / "worker.log"
    with (
        shared_broker(tmp_path) as env,
        virtual_bmcs(2) as port,
        recording_relays(port, port + 1) as (asked, checked),
    ):
        operator_node, checked_node = node_behind(asked), node_behind(checked)
        with celery_worker({**env, "BEARMAN_WORKER_LANES": "operator"}, log=log):
            (check,) = power_actions_request_many(
                node_ids=[checked_node.pk], action="status", actor=SYSTEM
            )
            wait_for(
                [power_action_request(node=operator_node, action="on", actor="alice").pk], 30, log
            )
            time.sleep(2)  # the check's message waits in the background lane meanwhile
            assert PowerOperation.objects.get(pk=check).state == OperationState.PENDING
            assert checked.arrivals == []
        with celery_worker(env, log=log):  # a worker of both lanes takes it
            wait_for([check], 30, log)
    assert checked.arrivals
