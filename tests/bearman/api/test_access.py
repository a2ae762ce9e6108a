"""Every endpoint: 401 without credentials, 403 without the permission, 400 naming bad fields.

The node behind them has a BMC password set, and the watchful client fails any answer
that carries it or a token.
"""

import pytest

from bearman.models import BmcDriver, Node, PowerOperation
from bearman.services import node_set_bmc_password
from bearman.services.power.bulk import power_bulk_request
from bearman.states import DeployStatus
from tests.bearman.api.conftest import BMC_PASSWORD, error_of
from tests.factories import BaremetalFactory, FlavorFactory, NodeFactory, ProfileFactory

pytestmark = pytest.mark.django_db

UUID = "4c4c4544-0042-3510-8052-b3c04f4b4c32"
# (method, path): every route of the API; {pk} is an existing Baremetal.
ENDPOINTS = [
    ("get", "/api/v1/"),
    ("get", "/api/v1/nodes/"),
    ("get", f"/api/v1/nodes/{UUID}/"),
    ("patch", f"/api/v1/nodes/{UUID}/"),
    ("get", f"/api/v1/nodes/{UUID}/events/"),
    ("get", "/api/v1/flavors/"),
    ("post", "/api/v1/flavors/"),
    ("get", "/api/v1/flavors/compute/"),
    ("patch", "/api/v1/flavors/compute/"),
    ("delete", "/api/v1/flavors/compute/"),
    ("get", "/api/v1/profiles/"),
    ("post", "/api/v1/profiles/"),
    ("get", "/api/v1/profiles/noble/"),
    ("patch", "/api/v1/profiles/noble/"),
    ("delete", "/api/v1/profiles/noble/"),
    ("get", "/api/v1/baremetals/"),
    ("post", "/api/v1/baremetals/"),
    ("get", "/api/v1/baremetals/{pk}/"),
    ("post", "/api/v1/baremetals/{pk}/redeploy/"),
    ("post", "/api/v1/baremetals/{pk}/release/"),
    ("post", f"/api/v1/nodes/{UUID}/power/"),
    ("get", "/api/v1/power-operations/"),
    ("get", "/api/v1/power-operations/{operation}/"),
    ("get", "/api/v1/power-operations/bulk/"),
    ("post", "/api/v1/power-operations/bulk/"),
    ("get", "/api/v1/power-operations/bulk/{bulk}/"),
    ("get", "/api/v1/cabling/"),
]


# (method, path, body, the field the 400 names): invalid input for every endpoint that takes any.
INVALID = [
    ("get", "/api/v1/nodes/", {"power_state": "sideways"}, "power_state"),
    ("patch", f"/api/v1/nodes/{UUID}/", {"bmc_port": 0}, "bmc_port"),
    ("get", f"/api/v1/nodes/{UUID}/events/", {"page_size": "0"}, "page_size"),
    ("get", "/api/v1/flavors/", {"page_size": "-1"}, "page_size"),
    ("post", "/api/v1/flavors/", {"name": "has space"}, "name"),
    ("patch", "/api/v1/flavors/compute/", {"vlan": 4095}, "vlan"),
    ("get", "/api/v1/profiles/", {"boot_method": "floppy"}, "boot_method"),
    ("post", "/api/v1/profiles/", {"name": "p", "kernel_url": "not a url"}, "kernel_url"),
    ("patch", "/api/v1/profiles/noble/", {"append": "a\nb"}, "append"),
    ("get", "/api/v1/baremetals/", {"status": "asleep"}, "status"),
    ("post", "/api/v1/baremetals/", {"node": UUID, "profile": "noble"}, "hostname"),
    ("post", f"/api/v1/nodes/{UUID}/power/", {"action": "on!"}, "action"),
    ("get", "/api/v1/power-operations/", {"node": "x"}, "node"),
    ("post", "/api/v1/power-operations/bulk/", {"action": "on", "nodes": ["x"]}, "nodes"),
]


@pytest.fixture
def objects():
    profile = ProfileFactory(name="noble")
    FlavorFactory(name="compute", default_profile=profile)
    # Installed, so that it may be redeployed; its profile is not "noble", which may go.
    baremetal = BaremetalFactory(node__uuid=UUID, status=DeployStatus.INSTALLED)
    node = node_set_bmc_password(node=baremetal.node, password=BMC_PASSWORD, actor="test")
    PowerOperation.objects.filter(node=node).delete()
    Node.objects.filter(pk=node.pk).update(bmc_driver=BmcDriver.FAKE)
    bulk = power_bulk_request(
        nodes=[NodeFactory(bmc_driver=BmcDriver.FAKE)], action="status", actor="t"
    )
    return {"pk": baremetal.pk, "operation": bulk.operation_ids[0], "bulk": bulk.pk}


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_no_credentials_is_a_401(anonymous, objects, method, path):
    response = getattr(anonymous, method)(path.format(**objects), {})
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "path"), [e for e in ENDPOINTS if e[1] != "/api/v1/"])
def test_no_permission_is_a_403(client_for, objects, method, path):
    response = getattr(client_for([]), method)(path.format(**objects), {})
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


@pytest.mark.parametrize(("method", "path", "body", "field"), INVALID)
def test_invalid_input_is_a_400_naming_the_field(operator, objects, method, path, body, field):
    response = getattr(operator, method)(path, body)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert field in error["message"]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_allowed_requests_succeed_and_never_show_a_secret(operator, objects, method, path):
    bodies = {
        ("post", "/api/v1/flavors/"): {"name": "storage"},
        ("post", "/api/v1/profiles/"): {"name": "jammy", "kernel_url": "https://k.example/k"},
        ("post", "/api/v1/baremetals/"): {
            "node": NodeFactory().uuid,
            "profile": "noble",
            "hostname": "h2",
        },
        ("patch", f"/api/v1/nodes/{UUID}/"): {"bmc_username": "root"},
        ("post", f"/api/v1/nodes/{UUID}/power/"): {"action": "status"},
        ("post", "/api/v1/power-operations/bulk/"): {"action": "off", "nodes": [UUID]},
    }
    response = getattr(operator, method)(path.format(**objects), bodies.get((method, path), {}))
    assert response.status_code in (200, 201, 202, 204), response.content
