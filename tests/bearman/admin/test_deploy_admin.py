"""The node list's "Deploy the flavor's default profile": a machine that is on boots too."""

import pytest

from bearman.models import Baremetal, FakeBmc, OperationState, PowerAction, PowerOperation
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
    assert "2 Baremetal(s) started" in response.content.decode()


def test_deploying_a_node_that_is_on_power_cycles_it_into_the_baremetal(admin_client):
    running, off = fake_machine(power="on", serial="ON1"), fake_machine(power="off", serial="OFF1")
    deploy(admin_client, [running, off])

    operations = {op.node_id: op for op in PowerOperation.objects.all()}
    assert operations[running.pk].action == PowerAction.CYCLE
    assert operations[off.pk].action == PowerAction.ON
    for node in (running, off):
        finished = power_operation_run(operation_id=operations[node.pk].pk)
        assert finished.state == OperationState.SUCCEEDED
        # The machine booted (a boot uses up the one-time network boot): the node's agent
        # now asks for its Baremetal, still waiting in DEPLOY_START.
        machine = FakeBmc.objects.get(address=node.bmc_address, port=node.bmc_port)
        assert (machine.power, machine.boot_device) == ("on", "")
        assert node.baremetal.status == DeployStatus.DEPLOY_START


def test_deploying_needs_the_power_permission_as_well(client, django_user_model):
    """Deploying powers nodes on: the right to add Baremetals alone does not offer it."""
    from tests.bearman.api.conftest import user_with

    node = fake_machine(power="off", serial="OFF2")
    perms = ["bearman.view_node", "bearman.change_node", "bearman.add_baremetal"]
    user = user_with(django_user_model, "deployer", perms)
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert "deploy_default_profile" not in client.get(NODES).content.decode()
    client.post(NODES, {"action": "deploy_default_profile", "_selected_action": [node.pk]})
    assert not PowerOperation.objects.exists()
    assert not Baremetal.objects.exists()
