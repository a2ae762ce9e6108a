"""The cabling plan as the rest of Bearman reads and edits it: which switch port a NIC sees."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from bearman.models import CablingLink, Node

from .cabling_import import CablingPlanConflict, named_twice_problem


@dataclass(frozen=True)
class ExpectedLink:
    """The switch (LLDP system name) and port (LLDP port id) a NIC must see."""

    switch: str
    port: str


def node_cabling(node: Node) -> QuerySet[CablingLink]:
    """The plan's rows naming this node, by its serial or by its rack position."""
    naming = Q(pk__in=[])
    if node.serial:
        naming |= Q(serial=node.serial)
    if node.rack_position:
        naming |= Q(rack_position=node.rack_position)
    return CablingLink.objects.filter(naming)


def expected_links(node: Node) -> dict[str, ExpectedLink]:
    """The node's planned links by NIC name, found by its serial or its rack position.

    A NIC planned under both the node's serial and its rack position takes the serial's row:
    the serial is what the machine itself reports, a position is what someone typed.
    """
    rows = node_cabling(node).values_list("serial", "nic", "switch", "port")
    # Position rows first, serial rows after, so the serial's row is the one kept.
    ordered = sorted(rows, key=lambda row: bool(row[0]))
    return {nic: ExpectedLink(switch=switch, port=port) for _, nic, switch, port in ordered}


def cabling_link_save(*, link: CablingLink) -> CablingLink:
    """Add or change one cable of the plan, checked like an imported row."""
    link.full_clean()
    problem = named_twice_problem(link)
    if problem:
        raise ValidationError({"nic": [problem]})
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:  # another writer took the NIC or the port since full_clean
        raise CablingPlanConflict(
            "The cabling plan changed meanwhile: this NIC or switch port is taken now."
        ) from None
    return link


def cabling_link_delete(*, link: CablingLink) -> None:
    """Take one cable out of the plan."""
    link.delete()
