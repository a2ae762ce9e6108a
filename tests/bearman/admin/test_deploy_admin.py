"""The node list's "Deploy the flavor's default profile": a machine that is on boots too."""

import pytest

from bearman.models import FakeBmc, OperationState, PowerAction, PowerOperation
from bearman.services.power.run import power_operation_run
from bearman.states import DeployStatus
from tests.factories import FlavorFactory, NodeFactory

pytestmark = pytest.mark.django_db

NODES = "/admin/bearman/node/"


def fake_machine(*, power: str, serial: str):
    """A node of the fake driver whose machine is `power`, set to boot from the network."""
    node = NodeFactory(flavor=FlavorFactory(), bmc_driver="fake", power_state=power, serial=serial)
    FakeBmc.objects.create(
        address=node.bmc_address, port=node.bmc_port, power=power, boot_device="network"
    )
    return node


def deploy(admin_client, nodes) -> None:
    response = admin_client.post(
        NODES,
        {"action": "deploy_default_profile", "_selected_action": [n.pk for n in nodes]},
        follow=True,
    )
    assert "2 deployment(s) started" in response.content.decode()


def test_deploying_a_node_that_is_on_power_cycles_it_into_the_deployment(admin_client):
    running, off = fake_machine(power="on", serial="ON1"), fake_machine(power="off", serial="OFF1")
    deploy(admin_client, [running, off])

    operations = {op.node_id: op for op in PowerOperation.objects.all()}
    assert operations[running.pk].action == PowerAction.CYCLE
    assert operations[off.pk].action == PowerAction.ON
    for node in (running, off):
        finished = power_operation_run(operation_id=operations[node.pk].pk)
        assert finished.state == OperationState.SUCCEEDED
        # The machine booted (a boot uses up the one-time network boot): the node's agent
        # now asks for its deployment, still waiting in DEPLOY_START.
        machine = FakeBmc.objects.get(address=node.bmc_address, port=node.bmc_port)
        assert (machine.power, machine.boot_device) == ("on", "")
        assert node.baremetal.status == DeployStatus.DEPLOY_START
