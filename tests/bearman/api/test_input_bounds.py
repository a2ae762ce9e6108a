"""Input no handler should ever see: deep JSON, NUL in a query, driver options a worker
would choke on. Each is a 400 with a clear message, and nothing changes."""

import pytest

from bearman.api.parsers import MAX_JSON_DEPTH, json_depth
from tests.bearman.api.conftest import error_of
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db


def nested(depth: int) -> str:
    return '{"owner": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
@pytest.mark.parametrize(
    "method, url",
    [
        ("patch", "/api/v1/nodes/{uuid}/"),
        ("post", "/api/v1/ipman/pools/"),
        ("post", "/api/v1/power-operations/bulk/"),
    ],
)
def test_json_nested_too_deep_is_a_400(operator, method, url, depth):
    node = NodeFactory(availability_zone="az1")
    send = getattr(operator, method)
    response = send(url.format(uuid=node.uuid), nested(depth), content_type="application/json")
    assert response.status_code == 400
    assert f"deeper than {MAX_JSON_DEPTH} levels" in error_of(response)["message"]
    node.refresh_from_db()
    assert node.availability_zone == "az1"


def test_json_within_the_bound_is_parsed_as_before(operator):
    node = NodeFactory()
    body = '{"bmc_options": {"system_id": "a[{\\"]"}, "bmc_driver": "redfish"}'
    response = operator.patch(f"/api/v1/nodes/{node.uuid}/", body, content_type="application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["bmc_options"] == {"system_id": 'a[{"]'}


def test_brackets_inside_strings_do_not_count_as_depth():
    assert json_depth(b'{"a": "[[[[[[[[[[\\"[[[["}') == 1
    assert json_depth(b"[[[]], {}]") == 3
    assert json_depth(b'"plain"') == 0


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/nodes/?search=%00",
        "/api/v1/nodes/?vendor=x%00",
        "/api/v1/ipman/allocations/?owner=%00",
        "/api/v1/nodes/?%00=1",
    ],
)
def test_nul_in_a_query_is_a_400_with_the_error_body(reader, url):
    NodeFactory()
    response = reader.get(url)
    assert response.status_code == 400
    assert "NUL" in error_of(response)["message"]


@pytest.mark.parametrize(
    "change, words",
    [
        ({"bmc_options": {"timeout": "abc"}}, "timeout must be a number of seconds"),
        ({"bmc_options": {"timeout": 0}}, "timeout must be a number of seconds"),
        ({"bmc_options": {"power_wait": True}}, "power_wait must be a number of seconds"),
        ({"bmc_options": {"cipher_suite": "3"}}, "cipher_suite must be 3 or 17"),
        ({"bmc_options": {"verify_tls": 1}}, "verify_tls must be true, false"),
        ({"bmc_options": {"system_id": ""}}, "system_id must be a ComputerSystem Id"),
        ({"bmc_options": {"verify_tls": False}}, "not an option of the ipmi driver"),
        ({"bmc_driver": "redfish", "bmc_options": {"cipher_suite": 3}}, "not an option of the"),
        ({"bmc_driver": "redfish"}, "'cipher_suite' is not an option of the redfish driver"),
    ],
)
def test_driver_options_are_checked_on_write(operator, change, words):
    node = NodeFactory(bmc_driver="ipmi", bmc_options={"cipher_suite": 3})
    response = operator.patch(f"/api/v1/nodes/{node.uuid}/", change)
    assert response.status_code == 400, response.json()
    assert words in " ".join(error_of(response)["fields"]["bmc_options"])
    node.refresh_from_db()
    assert (node.bmc_driver, node.bmc_options) == ("ipmi", {"cipher_suite": 3})


def test_good_driver_options_are_stored(operator):
    node = NodeFactory(bmc_driver="ipmi")
    options = {"timeout": 2.5, "power_wait": 60, "cipher_suite": 17}
    response = operator.patch(f"/api/v1/nodes/{node.uuid}/", {"bmc_options": options})
    assert response.status_code == 200, response.json()
    node.refresh_from_db()
    assert node.bmc_options == options
