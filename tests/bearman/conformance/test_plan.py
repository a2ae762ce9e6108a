"""planned_links reads a batch's cabling plan exactly as expected_links reads one node's."""

import pytest

from bearman.models import CablingLink
from bearman.services.cabling import expected_links
from bearman.services.conformance.plan import planned_links
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db


def test_a_batch_reads_each_nodes_plan_as_expected_links_does(django_assert_num_queries):
    both = NodeFactory(serial="SN-BOTH", rack_position="dc1-r1-u01")
    by_position = NodeFactory(serial="SN-UNPLANNED", rack_position="dc1-r1-u02")
    by_serial = NodeFactory(serial="SN-ONLY", rack_position="")
    nothing = NodeFactory(serial="", rack_position="")
    for serial, position, nic, port in [
        ("", "dc1-r1-u01", "eno1", "Ethernet1"),
        ("", "dc1-r1-u01", "eno2", "Ethernet2"),
        ("SN-BOTH", "", "eno1", "Ethernet9"),  # the serial's row wins for eno1
        ("", "dc1-r1-u02", "eno1", "Ethernet3"),
        ("SN-ONLY", "", "ens1f0", "Ethernet4"),
        ("SN-OTHER", "", "eno1", "Ethernet5"),
    ]:
        CablingLink.objects.create(
            serial=serial, rack_position=position, nic=nic, switch="leaf", port=port
        )
    nodes = [both, by_position, by_serial, nothing]

    with django_assert_num_queries(1):
        batch = planned_links(nodes)

    assert batch == {node.pk: expected_links(node) for node in nodes}
    assert {nic: link.port for nic, link in batch[both.pk].items()} == {
        "eno1": "Ethernet9",
        "eno2": "Ethernet2",
    }
    assert batch[nothing.pk] == {}
