"""The OpenAPI schema is valid, served, and says what errors look like; Swagger UI is served."""

import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_the_schema_validates_without_warnings(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(tmp_path / "schema.yaml"),
        ],
        cwd=settings.BEARMAN_BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "/api/v1/nodes/{uuid}/" in (tmp_path / "schema.yaml").read_text()


def test_the_schema_is_served_with_every_error_documented(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    patch = schema["paths"]["/api/v1/nodes/{uuid}/"]["patch"]["responses"]
    assert {"200", "400", "401", "403", "404", "409"} <= set(patch)
    token_scheme = schema["components"]["securitySchemes"]["knoxApiToken"]
    assert (token_scheme["in"], token_scheme["name"]) == ("header", "Authorization")
    assert '"Token"' in token_scheme["description"]
    password = schema["components"]["schemas"]["PatchedNodeRequest"]["properties"]["bmc_password"]
    assert password["writeOnly"] is True
    assert "bmc_password" not in schema["components"]["schemas"]["Node"]["properties"]


def test_swagger_ui_is_served_from_bearman_itself(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/api/schema/" in page
    assert "swagger-ui" in page
    assert "cdn" not in page.lower()
