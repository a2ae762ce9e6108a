"""Nodes for virtual BMCs (`manage.py virtual_bmcs --register`)."""

import pytest

from bearman.models import Node
from bearman.power import MachinePower
from bearman.services.power.drivers import power_driver_for, power_target_for
from lab.virtual_bmcs import virtual_bmc_nodes_register
from tests.bearman.power.helpers import PASSWORD, USER, ipmitool, virtual_bmcs

pytestmark = pytest.mark.django_db


def test_registered_nodes_reach_their_bmcs_with_suite_3_and_registering_again_changes_nothing():
    with virtual_bmcs(2) as port:
        ipmitool(port + 1, "chassis", "power", "on")
        for _ in range(2):
            nodes = virtual_bmc_nodes_register(
                address="127.0.0.1",
                ports=[port, port + 1],
                username=USER,
                password=PASSWORD,
                actor="test",
            )
        assert Node.objects.count() == 2
        states = [power_driver_for(node).get_power_state(power_target_for(node)) for node in nodes]
    assert states == [MachinePower.OFF, MachinePower.ON]
    assert [node.bmc_options for node in nodes] == [{"cipher_suite": 3}] * 2
    assert [node.bmc_port for node in nodes] == [port, port + 1]
