import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_describes_the_ipman_api():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/ipman/pools/",
        "/api/v1/ipman/pools/{id}/",
        "/api/v1/ipman/pools/{id}/allocate/",
        "/api/v1/ipman/pools/{id}/release/",
        "/api/v1/ipman/allocations/",
    ]:
        assert path in paths, path
    parameters = {p["name"] for p in paths["/api/v1/ipman/allocations/"]["get"]["parameters"]}
    assert {"owner", "address", "pool"} <= parameters
    assert set(paths["/api/v1/ipman/pools/{id}/allocate/"]["post"]["responses"]) >= {
        "200",
        "201",
        "409",
    }


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "s.yaml"))


def test_the_swagger_ui_is_served():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
