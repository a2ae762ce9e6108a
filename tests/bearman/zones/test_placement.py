"""Two real workers, one per availability zone: every BMC is driven by its zone's worker only.

Zone a's virtual BMCs listen on 127.0.0.2, zone b's on 127.0.0.3, each behind a witness
that notes the source port of every packet it is sent; /proc says which process holds
each of those ports. Operators' power on (operator lane), Bearman's BMC checks (one
fan-out message per zone, background lane) and the periodic sync (a zone-less task that
fans out per zone) all run; then only processes of zone a's worker may have talked to
zone a's BMCs, and of zone b's worker to zone b's. On Redis and on RabbitMQ.
"""

import time

import pytest
from django.db import transaction

from bearman.models import Node, OperationState, PowerOperation
from bearman.services import node_set_bmc_password
from bearman.services.power.bmc_check import bmc_checks_request
from bearman.services.power.request import power_action_request
from bearman.services.queueing import Lane, TaskName, task_queue
from tests.factories import NodeFactory

from ..power.helpers import PASSWORD, USER, ipmitool, virtual_bmcs
from ..power.worker import celery_worker
from .support import RABBITMQ_URL, broker, redis_url, udp_port_process_groups, witnesses

pytestmark = pytest.mark.django_db(transaction=True)
ADDRESSES = {"a": "127.0.0.2", "b": "127.0.0.3"}
BMCS_PER_ZONE = 3
WORKER_SETTINGS = {
    "BEARMAN_BMC_TIMEOUT": "2",
    "BEARMAN_POWER_RETRIES": "0",
    "BEARMAN_BMC_MIN_COMMAND_INTERVAL_SECONDS": "0",
}


def wait_for(condition, seconds: float, what: str, logs) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(log.read_text()[-1500:] for log in logs)
            pytest.fail(f"{what} did not happen within {seconds} s\n{tails}")
        time.sleep(0.2)


def all_finished(operations) -> bool:
    states = set(PowerOperation.objects.filter(pk__in=operations).values_list("state", flat=True))
    return states <= {OperationState.SUCCEEDED, OperationState.FAILED}


@pytest.mark.parametrize("url", [redis_url(), RABBITMQ_URL], ids=["redis", "rabbitmq"])
def test_each_bmc_is_driven_only_by_a_worker_of_its_zone(url, tmp_path, settings):
    settings.BEARMAN_BMC_CHECK_DELAY_SECONDS = 0
    env = {**WORKER_SETTINGS, "CELERY_BROKER_URL": url, "BEARMAN_VAR_DIR": str(tmp_path)}
    logs = {zone: tmp_path / f"worker-{zone}.log" for zone in ADDRESSES}
    with (
        broker(url, list(ADDRESSES)),
        virtual_bmcs(BMCS_PER_ZONE, address=ADDRESSES["a"]) as port_a,
        virtual_bmcs(BMCS_PER_ZONE, address=ADDRESSES["b"]) as port_b,
        witnesses(
            [(ADDRESSES["a"], port_a + i) for i in range(BMCS_PER_ZONE)]
            + [(ADDRESSES["b"], port_b + i) for i in range(BMCS_PER_ZONE)]
        ) as relays,
        # Zone a's worker also takes the zone-less work (the sync's fan-out); b's does not.
        celery_worker(
            {**env, "BEARMAN_WORKER_ZONES": "a"}, log=logs["a"], hostname="zone-a@%h"
        ) as worker_a,
        celery_worker(
            {**env, "BEARMAN_WORKER_ZONES": "b", "BEARMAN_WORKER_SHARED_QUEUES": "false"},
            log=logs["b"],
            hostname="zone-b@%h",
        ) as worker_b,
    ):
        zone_of = {}
        nodes = []
        for index, relay in enumerate(relays):
            zone = "a" if index < BMCS_PER_ZONE else "b"
            node = NodeFactory(
                availability_zone=zone,
                bmc_address=relay.bmc[0],
                bmc_port=relay.port,
                bmc_username=USER,
            )
            nodes.append(node_set_bmc_password(node=node, password=PASSWORD, actor="test"))
            zone_of[relay] = zone

        # An operator's power on of every node: the operator lane of each zone.
        ons = [power_action_request(node=node, action="on", actor="alice").pk for node in nodes]
        wait_for(lambda: all_finished(ons), 30, "every power on", logs.values())
        states = PowerOperation.objects.filter(pk__in=ons).values_list("state", flat=True)
        assert set(states) == {OperationState.SUCCEEDED}
        for relay in relays:
            seen = ipmitool(relay.bmc[1], "chassis", "power", "status", address=relay.bmc[0])
            assert seen.strip() == "Chassis Power is on"

        # Bearman's BMC checks: one fan-out message per zone, in the background lane.
        with transaction.atomic():
            bmc_checks_request(node_ids=[node.pk for node in nodes])
        checks = list(PowerOperation.objects.filter(action="status").values_list("pk", flat=True))
        assert len(checks) == len(nodes)
        wait_for(lambda: all_finished(checks), 30, "every BMC check", logs.values())

        # The sync: a zone-less task whose batches go to each zone's background lane. One
        # machine per zone is turned off behind Bearman's back: the sync finds it.
        turned_off = [relays[0], relays[BMCS_PER_ZONE]]
        for relay in turned_off:
            ipmitool(relay.bmc[1], "chassis", "power", "off", address=relay.bmc[0])
        off_nodes = Node.objects.filter(bmc_port__in=[relay.port for relay in turned_off])

        def synced() -> bool:
            task_queue(TaskName.POWER_SYNC, lane=Lane.BACKGROUND, what="sync", meanwhile="-")
            time.sleep(1.5)
            return set(off_nodes.values_list("power_state", flat=True)) == {"off"}

        wait_for(synced, 45, "the sync of both zones", logs.values())

        groups = {zone: worker.pid for zone, worker in (("a", worker_a), ("b", worker_b))}
        every_port = set().union(*(relay.source_ports for relay in relays))
        owners = udp_port_process_groups(every_port)

    for relay in relays:
        zone = zone_of[relay]
        assert relay.source_ports, f"nothing reached zone {zone}'s BMC {relay.bmc}"
        seen = set().union(*(owners.get(port, {None}) for port in relay.source_ports))
        assert seen == {groups[zone]}, (
            f"zone {zone}'s BMC {relay.bmc} was reached by process groups {seen}; "
            f"zone a's worker is {groups['a']}, zone b's {groups['b']}"
        )
