"""Stored rows that named the record "deployment" read "baremetal" after the migration,
and back again when it is reversed."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("bearman", "0016_profile_help_texts")]
AFTER = [("bearman", "0017_baremetal_name")]
UUID = "4c4c4544-0042-3510-8052-b4c04f4e3232"


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def stored(apps) -> tuple:
    return (
        sorted(apps.get_model("bearman", "Event").objects.values_list("kind", flat=True)),
        sorted(apps.get_model("bearman", "BootStep").objects.values_list("flow", flat=True)),
        sorted(apps.get_model("bearman", "Notice").objects.values_list("kind", flat=True)),
    )


@pytest.mark.django_db(transaction=True)
def test_event_kinds_timeline_flows_and_notice_kinds_are_rewritten_both_ways():
    old = migrate(BEFORE)
    node = old.get_model("bearman", "Node").objects.create(
        uuid=UUID, serial="SN0000001", bmc_address="10.1.0.2", bmc_username="bearman"
    )
    event = old.get_model("bearman", "Event").objects
    for kind in ("deployment", "power"):
        event.create(node=node, kind=kind, message="m", actor="system")
    step = old.get_model("bearman", "BootStep").objects
    step.create(node_uuid=UUID, flow="deployment", step="ipxe_fetched")
    step.create(node_uuid=UUID, flow="registration", step="ipxe_fetched")
    notice = old.get_model("bearman", "Notice").objects
    for kind in ("deployment_failed", "deployment_stuck", "deployment_claimed", "bmc_unreachable"):
        notice.create(node=node, kind=kind, message="m")
    was = stored(old)

    assert stored(migrate(AFTER)) == (
        ["baremetal", "power"],
        ["baremetal", "registration"],
        ["baremetal_claimed", "baremetal_failed", "baremetal_stuck", "bmc_unreachable"],
    )
    assert stored(migrate(BEFORE)) == was

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
