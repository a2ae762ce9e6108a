"""Schemathesis against the live schema of a running server: no 5xx, answers match the schema.

The `schemathesis` command generates requests (valid and invalid) for every operation from
the OpenAPI description and sends them over real HTTP to pytest-django's live server,
authenticated as an operator allowed everything, with records in place so that lookups
also find things: nodes, a Baremetal, a flavor, a profile, and IPman pools holding
allocations (so that allocate, reserve and release meet a real pool). Every check it has
runs but one: `positive_data_acceptance` expects every schema-valid request to succeed,
and a schema cannot say that a profile or flavor named in a request must exist; those
requests rightly get a 400 naming the field.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from bearman.services.api_tokens import api_token_issue
from ipman.services import ip_allocate
from tests.bearman.api.conftest import ALL_PERMISSIONS, user_with
from tests.factories import BaremetalFactory, FlavorFactory, NodeFactory, ProfileFactory
from tests.ipman.factories import PoolFactory

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# Small and bounded: this runs in every `make test` on a 2-core machine.
EXAMPLES_PER_OPERATION = 10


@pytest.fixture
def token(django_user_model) -> str:
    profile = ProfileFactory(name="noble")
    FlavorFactory(name="compute", default_profile=profile)
    BaremetalFactory(node=NodeFactory(), profile=profile)
    NodeFactory()
    for pool in (PoolFactory(vlan=120), PoolFactory(network="2001:db8:7::/120", gateway=None)):
        for owner in ("node/1/ipmi", "node/2/ipmi"):
            ip_allocate(pool=pool, owner=owner)
    return api_token_issue(user=user_with(django_user_model, "fuzzer", ALL_PERMISSIONS))[1]


def test_the_api_keeps_its_schema(live_server, token, tmp_path):
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{live_server.url}/api/schema/",
            "--checks=all",
            "--exclude-checks=positive_data_acceptance",
            f"--header=Authorization: Token {token}",
            f"--max-examples={EXAMPLES_PER_OPERATION}",
            "--seed=7",
            "--workers=1",
            "--generation-database=none",
            "--request-timeout=30",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-3000:]
    assert "No issues found" in result.stdout or "passed" in result.stdout
