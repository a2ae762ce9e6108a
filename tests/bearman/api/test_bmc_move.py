"""Moving a node's BMC needs the power permission and forgets its password.

The BMC settings decide where the stored password goes on the next power call. A user who
may only change nodes must not be able to point them at a server of theirs and collect
the password: here that server is a real HTTPS server playing a Redfish BMC, recording
the Basic credentials it is sent, and the real power sync talks to it.
"""

import base64
import contextlib
import http.server
import json
import ssl
import threading
import time

import pytest

from bearman.crypto import decrypt_secret
from bearman.models import Event, EventKind, PowerOperation
from bearman.models.power import IN_FLIGHT
from bearman.services import node_set_bmc_password
from bearman.services.power.bmc_check import SYSTEM
from bearman.services.power.request import power_actions_request_many
from bearman.services.power.sync import power_sync_nodes
from tests.bearman.api.conftest import BMC_PASSWORD, error_of
from tests.bearman.power.helpers import _self_signed
from tests.bearman.power.worker import celery_worker, shared_broker
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db

CHANGE_ONLY = ["bearman.view_node", "bearman.change_node"]
NEW_PASSWORD = "New-Bmc-Secret-41d2"


REDFISH_ROOT = json.dumps(
    {
        "@odata.id": "/redfish/v1/",
        "Id": "RootService",
        "Name": "Root Service",
        "RedfishVersion": "1.6.0",
        "UUID": "0c9ae3a4-7b8e-4f5e-9a49-0c1f4a2a5e01",
        "Systems": {"@odata.id": "/redfish/v1/Systems"},
    }
).encode()


class AttackerBmc(http.server.BaseHTTPRequestHandler):
    """A Redfish BMC as far as its open root; past it, a login refused after noting it."""

    def do_GET(self):
        if self.path.rstrip("/") == "/redfish/v1":
            self._answer(200, REDFISH_ROOT)
            return
        self.server.credentials.append(_basic_credentials(self.headers.get("Authorization")))
        self._answer(401, b'{"error": {"message": "no"}}')

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _basic_credentials(header: str | None) -> str:
    if not header or not header.startswith("Basic "):
        return ""
    return base64.b64decode(header.removeprefix("Basic ")).decode(errors="replace")


@contextlib.contextmanager
def attacker_bmc(directory):
    """(port, credentials seen): an HTTPS server on 127.0.0.1 that keeps what it is sent."""
    cert, key = _self_signed(directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AttackerBmc)
    server.credentials = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.credentials
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def bmc(tmp_path):
    with attacker_bmc(tmp_path) as running:
        yield running


@pytest.fixture
def node():
    # A fake BMC to begin with: the sync asks it without any network.
    node = NodeFactory(bmc_driver="fake", bmc_address="10.9.0.7", bmc_username="admin")
    return node_set_bmc_password(node=node, password=BMC_PASSWORD, actor="test")


def moved_to(port: int, **extra) -> dict:
    return {
        "bmc_driver": "redfish",
        "bmc_address": "127.0.0.1",
        "bmc_port": port,
        "bmc_options": {"verify_tls": False, "timeout": 5},
        **extra,
    }


def test_without_the_power_permission_the_bmc_stays_and_the_password_is_not_sent(
    client_for, node, bmc
):
    port, credentials = bmc
    changer = client_for(CHANGE_ONLY)
    response = changer.patch(f"/api/v1/nodes/{node.uuid}/", moved_to(port))
    assert response.status_code == 403, response.json()
    message = error_of(response)["message"]
    assert "power permission" in message and "bmc_address" in message
    power_sync_nodes(node_ids=[node.pk])
    assert credentials == []
    node.refresh_from_db()
    assert (node.bmc_driver, node.bmc_address, node.bmc_port) == ("fake", "10.9.0.7", 623)
    assert decrypt_secret(node.bmc_password_encrypted) == BMC_PASSWORD


@pytest.mark.parametrize(
    "change",
    [
        {"bmc_address": "10.9.0.8"},
        {"bmc_port": 624},
        {"bmc_driver": "ipmi"},
        {"bmc_driver": "redfish", "bmc_options": {"verify_tls": False}},
    ],
)
def test_each_bmc_endpoint_setting_needs_the_power_permission(client_for, node, change):
    response = client_for(CHANGE_ONLY).patch(f"/api/v1/nodes/{node.uuid}/", change)
    assert response.status_code == 403, response.json()
    node.refresh_from_db()
    assert node.bmc_address == "10.9.0.7" and node.has_bmc_password


def test_other_settings_still_need_only_change_permission(client_for, node):
    changer = client_for(CHANGE_ONLY)
    response = changer.patch(
        f"/api/v1/nodes/{node.uuid}/", {"bmc_username": "root", "availability_zone": "az9"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["bmc_password_set"] is True


def test_a_permitted_move_forgets_the_password_so_the_new_bmc_never_sees_it(operator, node, bmc):
    port, credentials = bmc
    response = operator.patch(f"/api/v1/nodes/{node.uuid}/", moved_to(port))
    assert response.status_code == 200, response.json()
    assert response.json()["bmc_password_set"] is False
    forgotten = Event.objects.filter(node=node, kind=EventKind.BMC_CONFIGURED).latest("pk")
    assert forgotten.message.startswith("BMC password cleared: bmc_driver, bmc_address")
    power_sync_nodes(node_ids=[node.pk])
    assert credentials, "the sync should have asked the new BMC"
    assert set(credentials) == {"admin:"}


def test_a_permitted_move_with_a_new_password_sends_that_one(operator, node, bmc):
    port, credentials = bmc
    response = operator.patch(
        f"/api/v1/nodes/{node.uuid}/", moved_to(port, bmc_password=NEW_PASSWORD)
    )
    assert response.status_code == 200, response.json()
    power_sync_nodes(node_ids=[node.pk])
    assert credentials and set(credentials) == {f"admin:{NEW_PASSWORD}"}


def ask_power_state(node, log) -> None:
    """Bearman's own check of the node's power state, until the running worker is done."""
    asked = power_actions_request_many(node_ids=[node.pk], action="status", actor=SYSTEM)
    deadline = time.monotonic() + 60
    while PowerOperation.objects.filter(pk__in=asked, state__in=IN_FLIGHT).exists():
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_never_takes_the_stored_password_to_a_bmc_moved_by_the_api(
    client_for, operator, node, bmc, tmp_path
):
    port, credentials = bmc
    log = tmp_path / "worker.log"
    with shared_broker(tmp_path) as env, celery_worker(env, log=log):
        refused = client_for(CHANGE_ONLY).patch(f"/api/v1/nodes/{node.uuid}/", moved_to(port))
        assert refused.status_code == 403
        ask_power_state(node, log)
        assert credentials == []  # the worker asked the node's own BMC, not this one

        moved = operator.patch(f"/api/v1/nodes/{node.uuid}/", moved_to(port))
        assert moved.status_code == 200, moved.json()
        ask_power_state(node, log)
    assert credentials, "the worker should have asked the new BMC"
    assert set(credentials) == {"admin:"}  # the user name only: the password was forgotten
