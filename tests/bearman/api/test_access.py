"""Every endpoint: no credentials is a 401, credentials without the permission a 403."""

import pytest

from tests.bearman.api.conftest import error_of
from tests.factories import BaremetalFactory, FlavorFactory, ProfileFactory

pytestmark = pytest.mark.django_db

UUID = "4c4c4544-0042-3510-8052-b3c04f4b4c32"
# (method, path): every route of the API; {pk} is an existing deployment.
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
]


@pytest.fixture
def objects():
    profile = ProfileFactory(name="noble")
    FlavorFactory(name="compute", default_profile=profile)
    return {"pk": BaremetalFactory(node__uuid=UUID).pk}


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
