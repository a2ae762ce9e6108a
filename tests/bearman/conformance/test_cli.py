"""`bearman node conformance` and `bearman node waive`, the real command against a live server."""

import pytest

from bearman.services.api_tokens import api_token_issue
from tests.bearman.api.conftest import ALL_PERMISSIONS, user_with
from tests.bearman.operator_cli.conftest import Cli

from .conftest import DELL_UUID, register
from .machines import dell_r640

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("ipmi_pool")]
CONFORMANCE = ["bearman.view_conformanceverdict", "bearman.add_conformancewaiver"]


@pytest.fixture
def cli(live_server, django_user_model, tmp_path):
    user = user_with(django_user_model, "operator", [*ALL_PERMISSIONS, *CONFORMANCE])
    _token, key = api_token_issue(user=user)
    return Cli(live_server.url, key, tmp_path / "home")


def test_the_cli_shows_a_held_node_and_waives_and_rechecks_it(
    cli, dell_flavor, dell_plan, tmp_path
):
    machine = dell_r640().nic_changed("eno1", speed_mbps=1000)
    register(machine, DELL_UUID, dell_flavor, tmp_path)

    shown = cli.run("node", "conformance", DELL_UUID.upper())
    assert shown.returncode == 0, shown.stderr
    assert "result  failed, held in maintenance (registration by agent" in shown.stdout
    assert "nic_slow  eno1       at least 10 Gb/s  1 Gb/s  no" in shown.stdout

    refused = cli.run("node", "waive", DELL_UUID, "memory", "memory", "--reason", "x")
    assert refused.returncode != 0 and "nothing to waive" in refused.stderr
    waived = cli.json("node", "waive", DELL_UUID, "nic_slow", "eno1", "--reason", "1G for now")
    assert (waived["created_by"], waived["reason"]) == ("operator", "1G for now")

    after = cli.json("node", "conformance", DELL_UUID, "--recheck")
    assert after["status"] == "registered"
    assert after["latest"]["passed"] is True
    assert [d["waived"] for d in after["latest"]["differences"]] == [True]
    assert [v["trigger"] for v in after["history"]] == ["recheck", "registration"]
