"""The node page's BMC settings: moving the BMC needs the power permission and forgets the
password; driver options are checked against the driver; NUL in a list's query is a 400."""

import json

import pytest
from django.urls import reverse

from bearman.crypto import decrypt_secret
from bearman.services import node_set_bmc_password
from tests.bearman.api.conftest import user_with
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db
PASSWORD = "Stored-Bmc-Secret-9"
POWER_WORDS = "needs the power permission"


@pytest.fixture
def node():
    node = NodeFactory(bmc_driver="ipmi", bmc_address="10.9.0.7", bmc_username="admin")
    return node_set_bmc_password(node=node, password=PASSWORD, actor="test")


@pytest.fixture
def changer(client, django_user_model):
    """A staff user who may view and change nodes, without the power permission."""
    user = user_with(django_user_model, "changer", ["bearman.view_node", "bearman.change_node"])
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


def change_form(node, **overrides) -> dict:
    form = {
        "serial": node.serial,
        "vendor": node.vendor,
        "product_name": node.product_name,
        "status": node.status,
        "availability_zone": node.availability_zone,
        "bmc_driver": node.bmc_driver,
        "bmc_address": node.bmc_address,
        "bmc_port": node.bmc_port,
        "bmc_username": node.bmc_username,
        "bmc_options": json.dumps(node.bmc_options),
    }
    return {**form, **overrides}


def post(client, node, **overrides):
    return client.post(
        reverse("admin:bearman_node_change", args=[node.pk]), change_form(node, **overrides)
    )


def field_errors(response) -> dict:
    assert response.status_code == 200, "the form should be shown again with errors"
    return {
        name: list(errors) for name, errors in response.context["adminform"].form.errors.items()
    }


@pytest.mark.parametrize(
    "change, field",
    [
        ({"bmc_address": "192.0.2.66"}, "bmc_address"),
        ({"bmc_port": 6230}, "bmc_port"),
        ({"bmc_driver": "redfish"}, "bmc_driver"),
        ({"bmc_driver": "redfish", "bmc_options": '{"verify_tls": false}'}, "bmc_options"),
    ],
)
def test_without_the_power_permission_the_bmc_cannot_move(changer, node, change, field):
    response = post(changer, node, **change)
    errors = field_errors(response)
    assert POWER_WORDS in " ".join(errors[field])
    node.refresh_from_db()
    assert (node.bmc_driver, node.bmc_address, node.bmc_port) == ("ipmi", "10.9.0.7", 623)
    assert decrypt_secret(node.bmc_password_encrypted) == PASSWORD


def test_without_the_power_permission_other_settings_still_change(changer, node):
    response = post(changer, node, bmc_username="root", availability_zone="az7")
    assert response.status_code == 302
    node.refresh_from_db()
    assert (node.bmc_username, node.availability_zone) == ("root", "az7")
    assert node.has_bmc_password


def test_a_permitted_move_forgets_the_password_unless_a_new_one_is_given(admin_client, node):
    assert post(admin_client, node, bmc_address="192.0.2.66").status_code == 302
    node.refresh_from_db()
    assert node.bmc_address == "192.0.2.66" and not node.has_bmc_password
    node = node_set_bmc_password(node=node, password=PASSWORD, actor="test")
    moved = post(admin_client, node, bmc_port=6230, new_bmc_password="Next-Secret-3")
    assert moved.status_code == 302
    node.refresh_from_db()
    assert decrypt_secret(node.bmc_password_encrypted) == "Next-Secret-3"


@pytest.mark.parametrize(
    "driver, options, words",
    [
        ("ipmi", '{"timeout": "abc"}', "timeout must be a number of seconds"),
        ("ipmi", '{"cipher_suite": 5}', "cipher_suite must be 3 or 17"),
        ("ipmi", '{"verify_tls": false}', "'verify_tls' is not an option of the ipmi driver"),
        ("redfish", '{"cipher_suite": 3}', "'cipher_suite' is not an option of the redfish"),
        ("ipmi", '{"nonsense": 1}', "'nonsense' is not an option"),
        ("ipmi", "[1]", "JSON object"),
    ],
)
def test_driver_options_are_checked_against_the_driver(admin_client, node, driver, options, words):
    response = post(admin_client, node, bmc_driver=driver, bmc_options=options)
    assert words in " ".join(field_errors(response)["bmc_options"])
    node.refresh_from_db()
    assert node.bmc_options == {} and node.bmc_driver == "ipmi"


@pytest.mark.parametrize("query", ["vendor=%00", "q=%00", "status=ready%00x", "%00=1"])
def test_nul_in_a_list_query_is_a_400(admin_client, query):
    NodeFactory()
    for name in ("bearman_node", "bearman_event", "ipman_pool"):
        response = admin_client.get(f"{reverse(f'admin:{name}_changelist')}?{query}")
        assert response.status_code == 400, name
        assert "NUL" in response.content.decode()
