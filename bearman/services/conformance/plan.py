"""The cabling plan of a batch of nodes in one query, read as services.cabling reads it.

Registration checks a whole batch inside its transaction: one query for all its nodes
instead of expected_links' one per node. The reading is expected_links' own (a NIC
planned under both the serial and the rack position takes the serial's row);
tests/bearman/conformance/test_plan.py holds the two to the same answers. Plain SQL, the
same on both engines: every registration batch runs it, and the ORM cost it more than
the query itself.
"""

from collections import defaultdict

from django.db import connection

from bearman.models import CablingLink

from ..cabling import ExpectedLink

PLANNED = (
    f"SELECT serial, rack_position, nic, switch, port FROM {CablingLink._meta.db_table} "
    "WHERE {where}"
)


def planned_links(nodes: list) -> dict[int, dict[str, ExpectedLink]]:
    """Each node's planned links by NIC name (by node id), for all `nodes` at once.

    `nodes`: anything with a node's pk, serial and rack_position (a Node, a Subject).
    """
    serials = {node.serial for node in nodes if node.serial}
    positions = {node.rack_position for node in nodes if node.rack_position}
    by_serial, by_position = defaultdict(list), defaultdict(list)
    where = [
        f"{column} IN ({', '.join(['%s'] * len(values))})"
        for column, values in (("serial", serials), ("rack_position", positions))
        if values
    ]
    if where:
        with connection.cursor() as cursor:
            cursor.execute(PLANNED.format(where=" OR ".join(where)), [*serials, *positions])
            rows = cursor.fetchall()
        for serial, position, *link in rows:
            (by_serial[serial] if serial else by_position[position]).append(link)
    return {node.pk: _links(node, by_serial, by_position) for node in nodes}


def _links(node, by_serial, by_position) -> dict[str, ExpectedLink]:
    # Position rows first, serial rows after, so the serial's row is the one kept.
    rows = (by_position[node.rack_position] if node.rack_position else []) + (
        by_serial[node.serial] if node.serial else []
    )
    return {nic: ExpectedLink(switch=switch, port=port) for nic, switch, port in rows}
