"""Render on write: the file nginx serves is always what the dynamic endpoint would say."""

import socket
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from bearman.models import Baremetal, Node
from bearman.services import baremetal_transition, node_transition
from bearman.services.boot_files import read_rendered_script, rendered_script_path
from bearman.services.boot_scripts import BootEndpoints, node_ipxe_script
from bearman.states import DeployStatus, NodeStatus
from tests.factories import BaremetalFactory, NodeFactory, ProfileFactory

from .conftest import IPXE_CLIENT

pytestmark = pytest.mark.django_db(transaction=True)


def dynamic(uuid: str) -> str:
    return node_ipxe_script(uuid=uuid, endpoints=BootEndpoints.configured())


def assert_consistent(uuid: str) -> str:
    rendered = read_rendered_script(uuid)
    assert rendered is not None, "no rendered script"
    assert rendered == dynamic(uuid)
    return rendered


def test_every_change_rewrites_the_script(admin_client, public_url):
    node = NodeFactory()
    node_transition(node=node, to=NodeStatus.READY, actor="test")
    assert "exit" in assert_consistent(node.uuid).splitlines()

    profile = ProfileFactory(append="console=ttyS0")
    response = admin_client.post(
        reverse("admin:bearman_baremetal_add"),
        {"node": node.pk, "profile": profile.pk, "hostname": "web01.example.test", "vlan": ""},
    )
    assert response.status_code == 302
    assert "bearman.mode=deploy" in assert_consistent(node.uuid)

    profile_form = {
        "name": profile.name,
        "description": "",
        "boot_method": "ipxe",
        "kernel_url": "http://images.example.test/v2/vmlinuz",
        "kernel_sha256": "",
        "initrd_url": "",
        "initrd_sha256": "",
        "append": "console=ttyS1 id={uuid}",
        "install_script": "",
    }
    response = admin_client.post(
        reverse("admin:bearman_profile_change", args=[profile.pk]), profile_form
    )
    assert response.status_code == 302
    script = assert_consistent(node.uuid)
    assert f"kernel http://images.example.test/v2/vmlinuz console=ttyS1 id={node.uuid}" in script

    baremetal = Baremetal.objects.get()
    baremetal_transition(baremetal=baremetal, to=DeployStatus.DEPLOYING, actor="agent")
    assert "exit" in assert_consistent(node.uuid).splitlines()

    baremetal_transition(baremetal=baremetal, to=DeployStatus.UNRECOVERABLE_ERROR, actor="agent")
    baremetal_transition(baremetal=baremetal, to=DeployStatus.DEPLOY_START, actor="alice")
    assert "bearman.uuid=" in assert_consistent(node.uuid)

    response = admin_client.post(
        reverse("admin:bearman_baremetal_delete", args=[baremetal.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert "exit" in assert_consistent(node.uuid).splitlines()

    # A node with history is retired, not deleted: its events are append-only.
    response = admin_client.post(
        reverse("admin:bearman_node_delete", args=[node.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert_consistent(node.uuid)


def test_deleting_a_node_without_history_removes_its_script(admin_client, public_url):
    node = NodeFactory()
    call_command("ipxe_render", verbosity=0)
    assert rendered_script_path(node.uuid).exists()
    response = admin_client.post(
        reverse("admin:bearman_node_delete", args=[node.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not rendered_script_path(node.uuid).exists()


def test_nothing_is_rendered_without_a_public_url(settings, tmp_path):
    settings.BEARMAN_PUBLIC_URL = ""
    settings.BEARMAN_IPXE_RENDER_DIR = str(tmp_path / "ipxe")
    node = NodeFactory()
    node_transition(node=node, to=NodeStatus.READY, actor="test")
    assert not (tmp_path / "ipxe").exists()


def test_the_render_command_brings_every_node_up_to_date(public_url):
    nodes = NodeFactory.create_batch(3)
    BaremetalFactory(node=nodes[0])
    call_command("ipxe_render", verbosity=0)
    for node in nodes:
        assert_consistent(node.uuid)


@contextmanager
def database_unreachable():
    """Point the live connection at a place where no database answers, then restore it."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/bearman/db.sqlite3"
    else:
        with socket.socket() as probe:  # a port that was free a moment ago refuses connections
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(port))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def test_nodes_keep_booting_while_the_database_is_down(client, public_url, settings):
    deploying = BaremetalFactory(node=NodeFactory(status=NodeStatus.READY))
    idle = NodeFactory(status=NodeStatus.READY)
    uuids = [deploying.node.uuid, idle.uuid]
    call_command("ipxe_render", verbosity=0)
    expected = {uuid: dynamic(uuid) for uuid in uuids}
    unknown = "4c4c4544-0042-3510-8052-b3c04f4b4c32"

    with database_unreachable():
        with pytest.raises(Exception):  # noqa: B017 - proves the database really is down
            Node.objects.count()
        for uuid in uuids:
            response = client.get(f"/ipxe/{uuid.upper()}", **IPXE_CLIENT)
            assert response.status_code == 200
            assert response.content.decode() == expected[uuid]
        response = client.get(f"/ipxe/{unknown}", **IPXE_CLIENT)
        body = response.content.decode()
        assert response.status_code == 503
        assert f"chain --replace {public_url}/ipxe/{unknown}" in body
    assert Node.objects.count() == 2
