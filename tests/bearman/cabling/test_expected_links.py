import pytest

from bearman.models import CablingLink
from bearman.services.cabling import ExpectedLink, expected_links
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db


def test_a_node_finds_its_links_by_serial_and_by_rack_position():
    node = NodeFactory(serial="CZ2D1234", rack_position="dc1-r12-u07")
    CablingLink.objects.create(serial="CZ2D1234", nic="eno1", switch="leaf-a", port="Ethernet12")
    CablingLink.objects.create(
        rack_position="dc1-r12-u07", nic="eno2", switch="leaf-b", port="Ethernet12"
    )
    CablingLink.objects.create(serial="OTHER", nic="eno1", switch="leaf-a", port="Ethernet13")

    assert expected_links(node) == {
        "eno1": ExpectedLink(switch="leaf-a", port="Ethernet12"),
        "eno2": ExpectedLink(switch="leaf-b", port="Ethernet12"),
    }


def test_the_serial_row_wins_over_the_rack_position_row_for_the_same_nic():
    node = NodeFactory(serial="CZ2D1234", rack_position="dc1-r12-u07")
    CablingLink.objects.create(serial="CZ2D1234", nic="eno1", switch="leaf-a", port="Ethernet12")
    CablingLink.objects.create(
        rack_position="dc1-r12-u07", nic="eno1", switch="leaf-b", port="Ethernet1"
    )

    assert expected_links(node)["eno1"] == ExpectedLink(switch="leaf-a", port="Ethernet12")


def test_a_node_without_serial_or_position_has_no_plan():
    node = NodeFactory(serial="", rack_position="")
    CablingLink.objects.create(serial="X1", nic="eno1", switch="leaf-a", port="Ethernet12")

    assert expected_links(node) == {}
