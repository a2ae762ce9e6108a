"""Fixtures of the conformance tests: two vendors' flavors and plans, and a registration."""

import pytest

from bearman.models import CablingLink, Flavor, Node
from bearman.services.registration import nodes_register
from tests.bearman.api.conftest import (  # noqa: F401 - the API's fixtures
    anonymous,
    client_for,
    operator,
)
from tests.bearman.grpc.pools import make_pool
from tests.factories import NodeFactory

from .machines import Machine, registration_request

DELL_UUID = "4c4c4544-0058-4b10-8034-b7c04f505732"
HPE_UUID = "37383638-3330-4d32-3239-3034304b5131"


@pytest.fixture
def ipmi_pool(db):
    make_pool(name="prov-az1", network="10.10.0.0/24", purpose="provisioning", zone="az1")
    make_pool(name="ipmi-az1", network="10.20.0.0/24", purpose="ipmi", zone="az1")


def flavor(name: str, **expectations) -> Flavor:
    """A flavor expecting 384 GiB, one disk and link on every checked NIC, and more."""
    defaults = {"memory_gib": 384, "disk_count": 1, "nic_link_required": True}
    return Flavor.objects.create(name=name, **defaults | expectations)


@pytest.fixture
def dell_flavor():
    return flavor(
        "compute-r640",
        cpu_model_pattern="*Xeon*Gold 6230*",
        cpu_min_cores=40,
        disk_kind="ssd",
        disk_min_gb=400,
        nic_count=2,
        nic_min_speed_mbps=10000,
        firmware_minimums={"bios": "2.17.1", "bmc": "6.00"},
    )


@pytest.fixture
def hpe_flavor():
    return flavor(
        "storage-dl380",
        cpu_model_pattern="/Gold 62[0-9]{2}R/",
        cpu_min_cores=48,
        disk_kind="hdd",
        disk_min_gb=7000,
        nic_count=3,
        nic_min_speed_mbps=25000,
        firmware_minimums={"bmc": "2.72"},
    )


@pytest.fixture
def dell_plan():
    CablingLink.objects.create(
        serial="7XK4PW2", nic="eno1", switch="leaf-r12-a.dc1", port="Ethernet12"
    )


@pytest.fixture
def hpe_plan():
    # Cisco sends the short port id (Eth1/17) and the long name as its description.
    for nic, switch in (("ens1f0", "n9k-leaf-03"), ("ens1f1", "n9k-leaf-04")):
        CablingLink.objects.create(serial="CZJ9470KQ1", nic=nic, switch=switch, port="Ethernet1/17")


def register(machine: Machine, uuid: str, flavor: Flavor, tmp_path) -> Node:
    """An operator typed the node in with its flavor; then the machine registers."""
    NodeFactory(uuid=uuid, serial="", flavor=flavor, facts={}, bmc_address=None)
    (answer,) = nodes_register(requests=[registration_request(machine, tmp_path / "net")])
    assert answer.uuid == uuid, answer
    return Node.objects.get(uuid=uuid)


def differences(node: Node) -> list[tuple]:
    """The node's latest verdict's differences: (kind, component, expected, found)."""
    verdict = node.conformance_verdicts.get(latest=True)
    return [(d.kind, d.component, d.expected, d.found) for d in verdict.differences.all()]
