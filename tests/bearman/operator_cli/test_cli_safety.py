"""What the CLI prints is what the server holds, never commands to the terminal; and
moving a node's BMC from the CLI follows the power-permission rule."""

import pytest

from bearman.crypto import decrypt_secret
from bearman.operator_cli.commands.nodes import DETAIL_COLUMNS
from bearman.operator_cli.errors import EXIT_AUTH
from bearman.services import node_set_bmc_password
from bearman.services.api_tokens import api_token_issue
from tests.bearman.api.conftest import user_with
from tests.bearman.operator_cli.conftest import Cli
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db(transaction=True)
FORGED_PRODUCT = "R640\nstatus             ready\npower              on"
PASSWORD = "Cli-Bmc-Secret-5"


def test_node_show_prints_control_characters_as_escapes(cli):
    node = NodeFactory(product_name=FORGED_PRODUCT, serial="SN1\x1b[2J\x1b]0;owned\x07")
    result = cli.run("node", "show", node.uuid)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(DETAIL_COLUMNS)  # one per field, none forged
    (product,) = [line for line in lines if line.startswith("product ")]
    assert product.endswith("R640\\nstatus             ready\\npower              on")
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "SN1\\x1b[2J\\x1b]0;owned\\x07" in result.stdout
    # JSON output stays exact: json.dumps escapes control characters itself.
    assert cli.json("node", "show", node.uuid)["product_name"] == FORGED_PRODUCT


def test_node_list_rows_stay_one_line_each(cli):
    NodeFactory(serial="SN2\r\nforged-row  x")
    NodeFactory()
    result = cli.run("node", "list")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3
    assert "SN2\\r\\nforged-row" in result.stdout


@pytest.fixture
def change_only_cli(live_server, django_user_model, tmp_path):
    user = user_with(django_user_model, "changer", ["bearman.view_node", "bearman.change_node"])
    return Cli(live_server.url, api_token_issue(user=user)[1], tmp_path)


def test_moving_a_bmc_needs_the_power_permission(change_only_cli, cli):
    node = NodeFactory(bmc_address="10.9.0.7")
    node_set_bmc_password(node=node, password=PASSWORD, actor="test")
    refused = change_only_cli.run("node", "set", node.uuid, "--bmc-address", "192.0.2.66")
    assert refused.returncode == EXIT_AUTH
    assert "needs the power permission" in refused.stderr
    node.refresh_from_db()
    assert node.bmc_address == "10.9.0.7"
    assert decrypt_secret(node.bmc_password_encrypted) == PASSWORD
    moved = cli.json("node", "set", node.uuid, "--bmc-address", "192.0.2.66")
    assert moved["bmc_address"] == "192.0.2.66" and moved["bmc_password_set"] is False
    told = " ".join(cli.run("node", "set", "--help").stdout.split())
    assert "needs the power permission and forgets the stored BMC password" in told
