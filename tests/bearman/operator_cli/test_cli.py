"""The operator's `bearman` command, run for real against a live server."""

import json
import re
import subprocess
import sys

import pytest

from bearman.crypto import decrypt_secret
from bearman.models import Baremetal, BmcDriver, Node, PowerBulk, PowerOperation
from bearman.operator_cli.errors import (
    EXIT_AUTH,
    EXIT_NOT_FOUND,
    EXIT_REFUSED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
)
from bearman.states import DeployStatus, NodeStatus
from tests.factories import BaremetalFactory, FlavorFactory, NodeFactory, ProfileFactory
from tests.ipman.factories import PoolFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_node_list_prints_a_table_and_json(cli):
    nodes = NodeFactory.create_batch(3, availability_zone="az1")
    BaremetalFactory(node=nodes[0], hostname="web01.example.test")
    result = cli.run("node", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "UUID",
        "SERIAL",
        "FLAVOR",
        "AZ",
        "STATUS",
        "POWER",
        "BMC",
        "BAREMETAL",
    ]
    assert len(lines) == 4
    assert any("web01.example.test (deploy_start)" in line for line in lines)
    listed = cli.json("node", "list", "--zone", "az1")
    assert sorted(n["uuid"] for n in listed) == sorted(n.uuid for n in nodes)


def test_node_list_follows_every_page(cli, settings):
    settings.BEARMAN_API_MAX_PAGE_SIZE = 2
    NodeFactory.create_batch(5)
    assert len(cli.json("node", "list")) == 5
    assert len(cli.json("node", "list", "--limit", "3")) == 3


def test_node_show_and_set(cli):
    node = NodeFactory(status=NodeStatus.REGISTERED)
    FlavorFactory(name="storage")
    result = cli.run("node", "show", node.uuid.upper())
    assert result.returncode == 0, result.stderr
    assert re.search(r"^BMC password\s+not set$", result.stdout, re.MULTILINE)
    changed = cli.json("node", "set", node.uuid, "--flavor", "storage", "--status", "ready")
    assert (changed["flavor"], changed["status"]) == ("storage", "ready")
    node.refresh_from_db()
    assert (node.flavor.name, node.status) == ("storage", "ready")


def test_bmc_password_comes_from_stdin_and_is_never_printed(cli):
    node = NodeFactory()
    result = cli.run("node", "set", node.uuid, "--bmc-password", stdin="S3cret-From-Stdin\n")
    assert result.returncode == 0, result.stderr
    assert "S3cret-From-Stdin" not in result.stdout + result.stderr
    node.refresh_from_db()
    assert decrypt_secret(node.bmc_password_encrypted) == "S3cret-From-Stdin"


def test_an_illegal_status_move_exits_refused_with_the_reason(cli):
    node = NodeFactory(status=NodeStatus.RETIRED)
    result = cli.run("node", "set", node.uuid, "--status", "ready")
    assert result.returncode == EXIT_REFUSED
    assert "cannot go from Retired to Ready" in result.stderr
    assert Node.objects.get(pk=node.pk).status == "retired"


def test_deploy_then_redeploy_and_release(cli):
    node = NodeFactory(flavor=FlavorFactory(vlan=120))
    ProfileFactory(name="noble")
    deployed = cli.json("deploy", node.uuid, "--profile", "noble", "--hostname", "web01")
    assert (deployed["status"], deployed["vlan"], deployed["node"]) == (
        "deploy_start",
        120,
        node.uuid,
    )
    Baremetal.objects.filter(node=node).update(status=DeployStatus.INSTALLED)
    assert cli.json("baremetal", "redeploy", node.uuid)["status"] == "deploy_start"
    listed = cli.run("baremetal", "list", "--status", "deploy_start")
    assert "web01" in listed.stdout
    released = cli.run("baremetal", "release", node.uuid)
    assert released.returncode == 0, released.stderr
    assert not Baremetal.objects.exists()
    assert cli.run("baremetal", "show", node.uuid).returncode == EXIT_NOT_FOUND


def test_deploy_with_bad_input_names_each_field(cli):
    node = NodeFactory()
    result = cli.run("deploy", node.uuid, "--profile", "missing", "--hostname=-bad-")
    assert result.returncode == EXIT_REFUSED
    assert "profile:" in result.stderr and "hostname:" in result.stderr


def test_flavor_and_profile_lifecycle(cli, tmp_path):
    script = tmp_path / "install.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    created = cli.json(
        "profile", "create", "noble",
        "--kernel-url", "https://images.example.test/vmlinuz",
        "--append", "console=ttyS0",
        "--install-script", str(script),
    )  # fmt: skip
    assert created["install_script"] == "#!/bin/sh\necho hi\n"
    flavor = cli.json("flavor", "create", "compute", "--default-profile", "noble", "--pool", "svc1")
    assert flavor["service_pools"] == ["svc1"]
    assert cli.json("flavor", "set", "compute", "--vlan", "300")["vlan"] == 300
    assert "compute" in cli.run("flavor", "list").stdout
    assert cli.run("profile", "delete", "noble").returncode == 0
    assert cli.json("flavor", "show", "compute")["default_profile"] is None


def test_events_newest_first(cli):
    node = NodeFactory(status=NodeStatus.REGISTERED)
    cli.run("node", "set", node.uuid, "--status", "ready")
    cli.run("node", "set", node.uuid, "--zone", "az7")
    events = cli.json("events", node.uuid)
    assert [e["kind"] for e in events] == ["note", "node_status"]
    assert "az7" in cli.run("events", node.uuid).stdout


def test_exit_codes_for_auth_not_found_usage_and_unreachable(cli):
    assert (
        cli.run("node", "show", "4c4c4544-0000-0000-0000-000000000042").returncode == EXIT_NOT_FOUND
    )
    assert cli.run("node", "list", env={"BEARMAN_TOKEN": "wrong"}).returncode == EXIT_AUTH
    assert cli.run("node", "list", env={"BEARMAN_TOKEN": ""}).returncode == EXIT_USAGE
    unreachable = cli.run("node", "list", env={"BEARMAN_URL": "http://127.0.0.1:9"})
    assert unreachable.returncode == EXIT_UNREACHABLE
    assert "Cannot reach http://127.0.0.1:9" in unreachable.stderr


def test_the_config_file_is_read_when_the_environment_is_silent(cli, tmp_path):
    config = tmp_path / "bearman" / "config.toml"
    config.parent.mkdir()
    config.write_text(f'url = "{cli.env["BEARMAN_URL"]}"\ntoken = "{cli.env["BEARMAN_TOKEN"]}"\n')
    config.chmod(0o600)
    NodeFactory()
    result = cli.run("--json", "node", "list", env={"BEARMAN_URL": "", "BEARMAN_TOKEN": ""})
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 1
    assert result.stderr == ""


def test_help_everywhere_and_exit_codes_documented(cli):
    for command in (["node"], ["node", "set"], ["node", "power"], ["deploy"], ["pool", "list"]):
        result = cli.run(*command, "--help", env={"BEARMAN_URL": "", "BEARMAN_TOKEN": ""})
        assert result.returncode == 0, command
        assert "usage: bearman" in result.stdout
        assert "  6  refused: invalid input (400) or not possible now (409)" in result.stdout
    assert "exit codes:" in cli.run("--help").stdout


def test_help_names_the_record_baremetal_only(cli):
    """`bearman deployment …` still runs (old runbooks), but help never offers the old word."""
    env = {"BEARMAN_URL": "", "BEARMAN_TOKEN": ""}
    for command in ([], ["baremetal"], ["baremetal", "timeline"], ["node"], ["node", "list"]):
        shown = cli.run(*command, "--help", env=env)
        assert shown.returncode == 0, command
        assert "deployment" not in shown.stdout.lower(), command
    assert "baremetal" in cli.run("--help", env=env).stdout
    assert cli.run("deployment", "timeline", "--help", env=env).returncode == 0


def test_the_cli_imports_no_django():
    probe = (
        "import sys, bearman.operator_cli.main; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'rest_framework'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_pools_list_allocate_and_release(cli):
    pool = PoolFactory(name="vip", network="10.62.0.0/30", gateway="10.62.0.1")
    listed = cli.run("pool", "list")
    assert listed.returncode == 0, listed.stderr
    assert re.search(
        r"^\d+\s+vip\s+10\.62\.0\.0/30\s+service\s+az1\s+-\s+0/1$", listed.stdout, re.M
    )
    allocated = cli.json("pool", "allocate", "vip", "--owner", "vip/api")
    assert (allocated["address"], allocated["pool"]) == ("10.62.0.2", pool.pk)
    full = cli.run("pool", "allocate", str(pool.pk), "--owner", "vip/web")
    assert full.returncode == EXIT_REFUSED
    assert "is full" in full.stderr
    assert cli.json("pool", "show", "vip")["used"] == 1
    released = cli.run("pool", "release", "vip", "--owner", "vip/api")
    assert released.stdout.strip() == "released 10.62.0.2 held by vip/api"
    assert cli.run("pool", "show", "nope").returncode == EXIT_NOT_FOUND


# Power without a worker (test_power_cli.py has one): nothing may run yet.


def test_power_dry_run_lists_the_nodes_and_queues_nothing(cli):
    ready = NodeFactory.create_batch(2, status="ready", availability_zone="az3")
    NodeFactory(status="maintenance", availability_zone="az3")
    result = cli.run(
        "node", "power", "off", "--where", "status=ready", "--where", "availability_zone=az3",
        "--dry-run",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(line.split()[0] for line in result.stdout.splitlines()[1:]) == sorted(
        n.uuid for n in ready
    )
    assert not PowerBulk.objects.exists() and not PowerOperation.objects.exists()


def test_power_no_wait_returns_at_once_with_the_queued_operations(cli):
    node = NodeFactory(bmc_driver=BmcDriver.FAKE)
    result = cli.run("node", "power", "cycle", node.uuid, "--no-wait", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["state"] == "running"
    assert [op["state"] for op in answer["operation_details"]] == ["pending"]
    assert result.stderr == ""
