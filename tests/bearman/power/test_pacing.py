"""Pacing per BMC through a real worker: two pool processes, commands seen by the BMC."""

import time

import pytest

from bearman.models import OperationState, PowerOperation
from bearman.services import node_set_bmc_password
from bearman.services.power.request import power_action_request
from tests.factories import NodeFactory

from .helpers import PASSWORD, USER, virtual_bmcs
from .recording_relay import recording_relays
from .worker import celery_worker, shared_broker

pytestmark = pytest.mark.django_db(transaction=True)
INTERVAL = 3  # seconds: well above a command's length, and above what a worker sleeps (2 s)


def node_behind(relay):
    node = NodeFactory(bmc_address="127.0.0.1", bmc_port=relay.port, bmc_username=USER)
    return node_set_bmc_password(node=node, password=PASSWORD, actor="test")


def power_on(*nodes) -> list[int]:
    return [power_action_request(node=node, action="on", actor="alice").pk for node in nodes]


def wait_for(operation_ids: list[int], seconds: float, log) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        states = set(
            PowerOperation.objects.filter(pk__in=operation_ids).values_list("state", flat=True)
        )
        if states == {OperationState.SUCCEEDED}:
            return
        assert OperationState.FAILED not in states, log.read_text()[-3000:]
        time.sleep(0.1)
    raise AssertionError(f"not finished in {seconds} s:\n{log.read_text()[-3000:]}")


def test_commands_to_one_bmc_are_spaced_by_the_interval_and_other_bmcs_wait_for_nothing(
    tmp_path,
):
    log = tmp_path / "worker.log"
    with (
        shared_broker(tmp_path) as env,
        virtual_bmcs(2) as port,
        recording_relays(port, port + 1) as (shared, other),
    ):
        env = {**env, "BEARMAN_BMC_MIN_COMMAND_INTERVAL_SECONDS": str(INTERVAL)}
        with celery_worker({**env, "BEARMAN_BMC_TIMEOUT": "5"}, log=log):
            behind_shared = [node_behind(shared) for _ in range(3)]
            # Two BMCs at once: each takes its command at once, in its own pool process.
            wait_for(power_on(behind_shared[0], node_behind(other)), 30, log)
            # Two more commands to the first BMC at once, one per pool process.
            wait_for(power_on(*behind_shared[1:]), 30, log)
    assert len(other.commands()) == 1
    commands = shared.commands()
    assert len(commands) == 3, commands
    assert abs(other.commands()[0][0] - commands[0][0]) < 1.0
    gaps = [start - end for (_, end), (start, _) in zip(commands, commands[1:], strict=False)]
    assert all(gap >= INTERVAL - 0.05 for gap in gaps), gaps
