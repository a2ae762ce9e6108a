"""`bearman cabling import` and `bearman cabling list`, run for real against a live server."""

import pytest

from bearman.models import CablingLink
from bearman.operator_cli.errors import EXIT_REFUSED, EXIT_USAGE
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db(transaction=True)
PLAN = (
    "serial,nic,switch,port\n"
    "CZ2D1001,eno1,leaf-r12-a,Ethernet1\n"
    "CZ2D1002,eno1,leaf-r12-a,Ethernet2\n"
)


@pytest.fixture
def plan_file(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(PLAN)
    return path


def test_a_dry_run_shows_the_changes_and_writes_nothing(cli, plan_file):
    result = cli.run("cabling", "import", str(plan_file), "--dry-run")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["CHANGE", "LINE", "NODE", "NIC", "SWITCH", "PORT"]
    assert lines[1].split() == ["created", "2", "CZ2D1001", "eno1", "leaf-r12-a", "Ethernet1"]
    assert lines[-1] == "dry run: 2 created, 0 changed, 0 unchanged; nothing written"
    assert not CablingLink.objects.exists()


def test_an_import_writes_and_shows_a_changed_port_with_its_old_one(cli, plan_file):
    assert cli.run("cabling", "import", str(plan_file)).returncode == 0
    plan_file.write_text(PLAN.replace("Ethernet2", "Ethernet9"))

    result = cli.run("cabling", "import", str(plan_file))

    assert result.returncode == 0, result.stderr
    assert "Ethernet2 → Ethernet9" in result.stdout
    assert result.stdout.splitlines()[-1] == "imported: 0 created, 1 changed, 1 unchanged"
    assert CablingLink.objects.get(serial="CZ2D1002").port == "Ethernet9"


def test_a_bad_file_is_refused_with_its_line_numbers(cli, plan_file):
    plan_file.write_text(PLAN + "CZ2D1003,eno1,,Ethernet3\n")

    result = cli.run("cabling", "import", str(plan_file))

    assert result.returncode == EXIT_REFUSED
    assert "line 4: switch is empty" in result.stderr
    assert not CablingLink.objects.exists()


def test_a_missing_file_is_a_usage_error(cli, tmp_path):
    result = cli.run("cabling", "import", str(tmp_path / "nope.csv"))

    assert result.returncode == EXIT_USAGE
    assert "cannot read" in result.stderr


def test_cabling_list_shows_a_nodes_cables(cli, plan_file):
    node = NodeFactory(serial="CZ2D1002")
    cli.run("cabling", "import", str(plan_file))

    found = cli.json("cabling", "list", "--node", node.uuid)

    assert [(link["serial"], link["port"]) for link in found] == [("CZ2D1002", "Ethernet2")]


def test_node_set_gives_a_node_its_rack_position(cli):
    node = NodeFactory()

    shown = cli.run("node", "set", node.uuid, "--rack-position", "dc1-r12-u07")

    assert shown.returncode == 0, shown.stderr
    assert "dc1-r12-u07" in shown.stdout
    node.refresh_from_db()
    assert node.rack_position == "dc1-r12-u07"
