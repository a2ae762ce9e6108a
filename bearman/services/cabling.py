"""The cabling plan as the rest of Bearman reads it: which switch port each NIC must see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from bearman.models import CablingLink, Node


@dataclass(frozen=True)
class ExpectedLink:
    """The switch (LLDP system name) and port (LLDP port id) a NIC must see."""

    switch: str
    port: str


def expected_links(node: Node) -> dict[str, ExpectedLink]:
    """The node's planned links by NIC name, found by its serial or its rack position.

    A NIC planned under both the node's serial and its rack position takes the serial's row:
    the serial is what the machine itself reports, a position is what someone typed.
    """
    naming = Q(pk__in=[])
    if node.serial:
        naming |= Q(serial=node.serial)
    if node.rack_position:
        naming |= Q(rack_position=node.rack_position)
    rows = CablingLink.objects.filter(naming).values_list("serial", "nic", "switch", "port")
    # Position rows first, serial rows after, so the serial's row is the one kept.
    ordered = sorted(rows, key=lambda row: bool(row[0]))
    return {nic: ExpectedLink(switch=switch, port=port) for _, nic, switch, port in ordered}
