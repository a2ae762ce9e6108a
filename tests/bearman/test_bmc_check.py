"""A registered node is READY once its BMC has answered a power call; not before."""

import pytest

from bearman.models import Node
from bearman.services.power.request import power_action_request
from bearman.services.power.run import power_operation_run
from bearman.services.power.sync import power_sync_nodes
from bearman.states import NodeStatus
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db


def test_a_successful_power_call_makes_a_registered_node_ready():
    node = NodeFactory(bmc_driver="fake", bmc_address="127.0.0.1")
    operation = power_action_request(node=node, action="status", actor="system")
    power_operation_run(operation_id=operation.pk)
    node = Node.objects.get(pk=node.pk)
    assert node.status == NodeStatus.READY
    assert "answered: ready" in node.events.filter(kind="node_status").get().message


def test_a_failed_power_call_leaves_it_registered():
    # Nothing answers on 127.0.0.1:9 over IPMI: the call fails within the driver's timeout.
    node = NodeFactory(bmc_address="127.0.0.1", bmc_port=9, bmc_options={"timeout": 1})
    operation = power_action_request(node=node, action="status", actor="system")
    power_operation_run(operation_id=operation.pk)
    assert Node.objects.get(pk=node.pk).status == NodeStatus.REGISTERED


def test_the_power_sync_makes_registered_nodes_ready_and_leaves_others_alone():
    registered = NodeFactory(bmc_driver="fake", bmc_address="127.0.0.1")
    maintenance = NodeFactory(
        bmc_driver="fake", bmc_address="127.0.0.2", status=NodeStatus.MAINTENANCE
    )
    power_sync_nodes(node_ids=[registered.pk, maintenance.pk])
    assert Node.objects.get(pk=registered.pk).status == NodeStatus.READY
    assert Node.objects.get(pk=maintenance.pk).status == NodeStatus.MAINTENANCE


def test_an_unreadable_bmc_password_fails_the_operation_in_plain_words():
    node = NodeFactory(bmc_address="127.0.0.1", bmc_password_encrypted="not-a-fernet-token")
    operation = power_action_request(node=node, action="status", actor="system")
    finished = power_operation_run(operation_id=operation.pk)
    assert finished.state == "failed"
    assert "cannot be decrypted" in finished.error
    assert Node.objects.get(pk=node.pk).status == NodeStatus.REGISTERED


def test_a_failed_check_is_made_again_until_the_attempts_run_out(settings):
    # Register answers before the agent has set the BMC's user: the first check can come
    # too early, and the node must not stay REGISTERED because of it.
    settings.BEARMAN_BMC_CHECK_ATTEMPTS = 3
    settings.BEARMAN_BMC_CHECK_DELAY_SECONDS = 0
    node = NodeFactory(bmc_address="127.0.0.1", bmc_port=9, bmc_options={"timeout": 1})
    operation = power_action_request(node=node, action="status", actor="system")
    for _ in range(3):
        power_operation_run(operation_id=operation.pk)
        operation = node.power_operations.order_by("-pk").first()
    checks = list(node.power_operations.order_by("pk").values_list("state", flat=True))
    assert checks == ["failed", "failed", "failed"], "three attempts, then no more"


def test_an_operators_failed_status_call_is_not_repeated():
    node = NodeFactory(bmc_address="127.0.0.1", bmc_port=9, bmc_options={"timeout": 1})
    operation = power_action_request(node=node, action="status", actor="alice")
    power_operation_run(operation_id=operation.pk)
    assert node.power_operations.count() == 1
