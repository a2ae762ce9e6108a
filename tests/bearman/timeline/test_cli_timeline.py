"""`bearman baremetal timeline NAME` (and its unlisted old name `bearman deployment timeline`)
against a live server."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from bearman.services.timeline import baremetal_step_record, timeline_powered_on
from bearman.states import DeployStatus
from tests.factories import BaremetalFactory

pytestmark = pytest.mark.django_db(transaction=True)
STARTED = timezone.now() - timedelta(hours=3)


def test_the_timeline_of_a_stuck_baremetal_by_hostname_or_node(operator_cli):
    baremetal = BaremetalFactory(
        hostname="web07.r12.example.test",
        status=DeployStatus.DEPLOY_START,
        deploy_started_at=STARTED,
    )
    timeline_powered_on(
        node_id=baremetal.node_id,
        uuid=baremetal.node.uuid,
        detail="Power on by alice",
        at=STARTED + timedelta(seconds=30),
    )
    baremetal_step_record(baremetal=baremetal, step="ipxe_fetched")
    shown = operator_cli.run("deployment", "timeline", "web07.r12.example.test")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].split()[:2] == ["STEP", "AT"]
    assert lines[1].startswith("Bearman powered the node on") and "Power on by alice" in lines[1]
    assert lines[2].startswith("Firmware fetched its iPXE script") and " h " in lines[2]
    assert "state" in shown.stdout and "stuck" in shown.stdout
    assert "first stage never called GetProfile" in shown.stdout
    assert re.search(r"^Baremetal\s+web07.r12.example.test$", shown.stdout, re.MULTILINE)
    as_json = operator_cli.json("baremetal", "timeline", baremetal.node.uuid.upper())
    assert [step["step"] for step in as_json["steps"]] == ["powered_on", "ipxe_fetched"]
    assert as_json["waiting_for"] == "profile_claimed"
    missing = operator_cli.run("deployment", "timeline", "nothing.example.test")
    assert missing.returncode == 5 and "No Baremetal has the hostname" in missing.stderr
