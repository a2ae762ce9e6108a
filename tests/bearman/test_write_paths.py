"""Every way of changing what a node boots leaves the rendered script right and an Event.

Each boot-relevant field (node status, Baremetal status, hostname, profile, the profile's
boot fields) is changed through each entry point that can change it: the admin, the REST
API, and the services the gRPC servicers and Celery tasks call. After each change the file
nginx serves must be exactly what the dynamic endpoint answers.
"""

from datetime import timedelta

import grpc
import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from bearman.models import (
    Baremetal,
    Event,
    EventKind,
    Node,
    PowerAction,
    PowerOperation,
    Profile,
)
from bearman.services import baremetal_create, node_delete
from bearman.services.addresses import bmc_address_leases
from bearman.services.admission import node_rearm
from bearman.services.agent_deploy import (
    baremetal_profile_claim,
    baremetal_report_failed,
    baremetal_report_installed,
)
from bearman.services.api_tokens import api_token_issue
from bearman.services.boot_files import (
    ipxe_render_nodes,
    read_rendered_script,
    rendered_script_path,
)
from bearman.services.boot_scripts import BootEndpoints, node_ipxe_script
from bearman.services.deadlines import baremetals_flag_stuck
from bearman.services.power.bmc_check import nodes_mark_bmc_answered
from bearman.states import DeployStatus, NodeStatus
from bearman.tasks.notify import operations_deadlines
from bearman.tasks.power import power_operation
from bearman_agent.wire.bearman.v1 import agent_pb2, agent_pb2_grpc
from ipman.models import Allocation
from ipman.services import pool_create
from tests.bearman.grpc.conftest import (
    ENROLL,
    bearer,
    ipmi_pool,  # noqa: F401 - a BMC pool for Register
    register_request,
    start_server,
    stop_server,
)
from tests.bearman.grpc.conftest import PUBLIC_URL as GRPC_PUBLIC_URL
from tests.bearman.operator_cli.conftest import cli  # noqa: F401 - the real `bearman` command
from tests.factories import FlavorFactory, NodeFactory, ProfileFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def public_url(settings, tmp_path):
    """Render-on-write on, into a scratch directory."""
    settings.BEARMAN_PUBLIC_URL = "http://bearman.example.test:8000"
    settings.BEARMAN_IPXE_RENDER_DIR = str(tmp_path / "ipxe")
    settings.ALLOWED_HOSTS = ["*"]


def assert_consistent(node: Node) -> str:
    """The rendered file is what the dynamic endpoint says; returns it."""
    rendered = read_rendered_script(node.uuid)
    assert rendered is not None, "no rendered script"
    assert rendered == node_ipxe_script(uuid=node.uuid, endpoints=BootEndpoints.configured())
    return rendered


def new_event_of(node: Node, seen: set[int], kind: EventKind) -> str:
    """The message of the one event of `kind` recorded since `seen`; adds it to `seen`."""
    events = [e for e in node.events.filter(kind=kind) if e.pk not in seen]
    assert len(events) == 1, [e.message for e in events]
    seen.add(events[0].pk)
    return events[0].message


def deployed(hostname: str = "web01.example.test", **profile) -> Baremetal:
    node = NodeFactory(status=NodeStatus.READY)
    return baremetal_create(
        node=node, profile=ProfileFactory(**profile), hostname=hostname, actor="test"
    )


def node_form(node: Node, **overrides) -> dict:
    form = {
        "serial": node.serial,
        "vendor": node.vendor,
        "product_name": node.product_name,
        "status": node.status,
        "availability_zone": node.availability_zone,
        "bmc_driver": node.bmc_driver,
        "bmc_address": node.bmc_address or "",
        "bmc_port": node.bmc_port,
        "bmc_username": node.bmc_username,
        "bmc_options": "{}",
    }
    return {**form, **overrides}


def baremetal_form(baremetal: Baremetal, **overrides) -> dict:
    form = {"status": baremetal.status, "hostname": baremetal.hostname, "vlan": ""}
    return {**form, **overrides}


# The admin


def test_admin_hostname_and_vlan_edits_rewrite_the_script(admin_client):
    baremetal = deployed()
    node, seen = baremetal.node, set(node_events(baremetal.node))
    assert "web01.example.test" in assert_consistent(node)
    url = reverse("admin:bearman_baremetal_change", args=[baremetal.pk])

    response = admin_client.post(url, baremetal_form(baremetal, hostname="web02.example.test"))
    assert response.status_code == 302
    script = assert_consistent(node)
    assert "web02.example.test" in script and "web01" not in script
    message = new_event_of(node, seen, EventKind.BAREMETAL)
    assert "hostname web01.example.test → web02.example.test" in message

    response = admin_client.post(
        url, baremetal_form(baremetal, hostname="web02.example.test", vlan="120")
    )
    assert response.status_code == 302
    assert Baremetal.objects.get().vlan == 120
    assert "vlan None → 120" in new_event_of(node, seen, EventKind.BAREMETAL)
    assert_consistent(node)


def test_admin_baremetal_status_moves_rewrite_the_script(admin_client):
    baremetal = deployed()
    node, seen = baremetal.node, set(node_events(baremetal.node))
    url = reverse("admin:bearman_baremetal_change", args=[baremetal.pk])
    for status in ("unrecoverable_error", "deploy_start"):
        response = admin_client.post(url, baremetal_form(baremetal, status=status))
        assert response.status_code == 302
        assert Baremetal.objects.get().status == status
        new_event_of(node, seen, EventKind.BAREMETAL)
        assert_consistent(node)


def test_admin_node_edit_moves_the_status_through_the_service(admin_client):
    node = NodeFactory(status=NodeStatus.READY)
    ipxe_render_nodes(uuids=[node.uuid])
    url = reverse("admin:bearman_node_change", args=[node.pk])

    response = admin_client.post(url, node_form(node, status="maintenance", serial="SN-NEW"))
    assert response.status_code == 302
    assert_consistent(node)
    assert new_event_of(node, set(), EventKind.NODE_STATUS) == "Ready → Maintenance"
    # The settings the same form changed are recorded too, which they were not before.
    assert "serial" in new_event_of(node, set(), EventKind.NOTE)
    assert Node.objects.get().status == NodeStatus.MAINTENANCE


def test_admin_node_added_by_hand_gets_its_script_an_event_and_a_sealed_password(admin_client):
    uuid = "4c4c4544-0042-3510-8052-b4c04f4a4a31"
    form = node_form(
        Node(status=NodeStatus.READY, bmc_driver="ipmi", bmc_port=623),
        uuid=uuid,
        bmc_address="10.9.0.7",
        bmc_username="admin",
        new_bmc_password="s3cret-by-hand",
    )
    response = admin_client.post(reverse("admin:bearman_node_add"), form)
    assert response.status_code == 302, response.content.decode()[-3000:]
    node = Node.objects.get(uuid=uuid)
    assert node.status == NodeStatus.READY and node.bmc_address == "10.9.0.7"
    assert "s3cret-by-hand" not in node.bmc_password_encrypted and node.has_bmc_password
    assert new_event_of(node, set(), EventKind.NODE_STATUS) == "Added by hand as Ready"
    assert new_event_of(node, set(), EventKind.BMC_CONFIGURED) == "BMC password changed"
    assert_consistent(node)


def test_admin_profile_edit_rewrites_every_script_using_it(admin_client):
    baremetal = deployed(boot_method="ipxe", append="console=ttyS0")
    form = {
        "name": baremetal.profile.name,
        "description": "",
        "boot_method": "ipxe",
        "kernel_url": "http://images.example.test/v2/vmlinuz",
        "kernel_sha256": "",
        "initrd_url": "",
        "initrd_sha256": "",
        "append": "console=ttyS1",
        "install_script": "",
    }
    url = reverse("admin:bearman_profile_change", args=[baremetal.profile.pk])
    seen = set(node_events(baremetal.node))
    assert admin_client.post(url, form).status_code == 302
    assert "/v2/vmlinuz console=ttyS1" in assert_consistent(baremetal.node)
    message = new_event_of(baremetal.node, seen, EventKind.BAREMETAL)
    assert "append console=ttyS0 → console=ttyS1" in message and "kernel_url" in message
    # Saved again unchanged: the script is the same, and nothing to record.
    assert admin_client.post(url, form).status_code == 302
    assert_consistent(baremetal.node)
    assert not baremetal.node.events.exclude(pk__in=seen).exists()


def test_admin_node_deletion_removes_the_script_and_releases_the_addresses(admin_client):
    pool_create(name="ipmi-az1", network="10.90.0.0/28", purpose="ipmi", availability_zone="az1")
    node = NodeFactory()
    bmc_address_leases(zones={node.uuid: "az1"})
    ipxe_render_nodes(uuids=[node.uuid])
    assert Allocation.objects.filter(owner=f"node/{node.uuid}/ipmi").exists()

    url = reverse("admin:bearman_node_delete", args=[node.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Node.objects.exists()
    assert not rendered_script_path(node.uuid).exists()
    assert not Allocation.objects.exists()


def test_deleting_a_deployed_node_releases_its_service_addresses_too(caplog):
    pool_create(name="svc-az1", network="10.91.0.0/28", purpose="service", availability_zone="az1")
    flavor = FlavorFactory(service_pools=["svc-az1"])
    node = NodeFactory(status=NodeStatus.READY, flavor=flavor)
    baremetal_create(node=node, profile=flavor.default_profile, hostname="db01", actor="test")
    assert Allocation.objects.filter(owner=f"node/{node.uuid}/service").exists()
    assert_consistent(node)

    with caplog.at_level("INFO", logger="bearman.services.nodes"):
        node_delete(node=node, actor="alice")
    assert not Node.objects.exists() and not Baremetal.objects.exists()
    assert not Allocation.objects.exists()
    assert not rendered_script_path(node.uuid).exists()
    assert f"Node {node.uuid} deleted by alice" in caplog.text


# The REST API (the CLI calls it)


@pytest.fixture
def api(admin_user):
    _token, key = api_token_issue(user=admin_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_api_node_status_change_rewrites_the_script(api):
    node = NodeFactory(status=NodeStatus.READY)
    ipxe_render_nodes(uuids=[node.uuid])
    response = api.patch(f"/api/v1/nodes/{node.uuid}/", {"status": "maintenance"}, format="json")
    assert response.status_code == 200, response.content
    assert_consistent(node)
    assert new_event_of(node, set(), EventKind.NODE_STATUS) == "Ready → Maintenance"


def test_api_baremetal_lifecycle_rewrites_the_script(api):
    node = NodeFactory(status=NodeStatus.READY)
    profile = ProfileFactory()
    seen: set[int] = set()
    response = api.post(
        "/api/v1/baremetals/",
        {"node": node.uuid, "profile": profile.name, "hostname": "app01.example.test"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert "app01.example.test" in assert_consistent(node)
    new_event_of(node, seen, EventKind.BAREMETAL)

    baremetal = Baremetal.objects.get()
    claim = baremetal_profile_claim(uuid=node.uuid, endpoints=BootEndpoints.configured())
    baremetal_report_installed(uuid=node.uuid, token=claim.agent_token)
    seen |= set(node_events(node))
    response = api.post(f"/api/v1/baremetals/{baremetal.pk}/redeploy/")
    assert response.status_code == 200, response.content
    assert_consistent(node)
    new_event_of(node, seen, EventKind.BAREMETAL)

    response = api.post(f"/api/v1/baremetals/{baremetal.pk}/release/")
    assert response.status_code == 204
    assert_consistent(node)
    new_event_of(node, seen, EventKind.BAREMETAL)


def test_api_profile_change_rewrites_every_script_using_it(api):
    baremetal = deployed(boot_method="ipxe")
    seen = set(node_events(baremetal.node))
    response = api.patch(
        f"/api/v1/profiles/{baremetal.profile.name}/",
        {"append": "console=ttyS2 quiet"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert "console=ttyS2 quiet" in assert_consistent(baremetal.node)
    message = new_event_of(baremetal.node, seen, EventKind.BAREMETAL)
    assert "→ console=ttyS2 quiet" in message


def test_api_change_of_a_profile_nobody_uses_records_nothing(api):
    profile = ProfileFactory(boot_method="kexec", append="quiet")
    response = api.patch(f"/api/v1/profiles/{profile.name}/", {"append": ""}, format="json")
    assert response.status_code == 200, response.content
    assert Profile.objects.get(pk=profile.pk).append == ""
    assert not Event.objects.exists()


# The services behind gRPC (the agent) and Celery (checks and deadlines)


def test_agent_and_task_services_rewrite_the_script():
    node = NodeFactory(status=NodeStatus.REGISTERED)
    seen: set[int] = set()
    nodes_mark_bmc_answered(node_ids=[node.pk])  # the BMC check task
    assert_consistent(node)
    new_event_of(node, seen, EventKind.NODE_STATUS)

    baremetal_create(node=node, profile=ProfileFactory(), hostname="k01", actor="test")
    new_event_of(node, seen, EventKind.BAREMETAL)
    claim = baremetal_profile_claim(uuid=node.uuid, endpoints=BootEndpoints.configured())
    assert_consistent(node)
    new_event_of(node, seen, EventKind.BAREMETAL)
    baremetal_report_installed(uuid=node.uuid, token=claim.agent_token)
    assert_consistent(node)
    new_event_of(node, seen, EventKind.BAREMETAL)


def test_failure_reports_and_deadlines_rewrite_the_script():
    failed, stuck = deployed("f01"), deployed("s01")
    claim = baremetal_profile_claim(uuid=failed.node.uuid, endpoints=BootEndpoints.configured())
    baremetal_report_failed(
        uuid=failed.node.uuid, token=claim.agent_token, message="no disk", agent_address=""
    )
    assert Baremetal.objects.get(pk=failed.pk).status == DeployStatus.UNRECOVERABLE_ERROR
    assert_consistent(failed.node)

    assert baremetals_flag_stuck(now=timezone.now() + timedelta(days=1)) == 1
    assert Baremetal.objects.get(pk=stuck.pk).status == DeployStatus.UNRECOVERABLE_ERROR
    assert_consistent(stuck.node)
    assert "stuck" in stuck.node.events.filter(kind=EventKind.BAREMETAL).first().message


def node_events(node: Node) -> list[int]:
    return list(node.events.values_list("pk", flat=True))


# The operator's CLI (over the REST API) and the agent's calls (over real gRPC)


def test_cli_status_and_baremetal_changes_rewrite_the_script(cli):  # noqa: F811
    node, profile = NodeFactory(status=NodeStatus.READY), ProfileFactory()
    seen: set[int] = set()
    steps = [
        (("node", "set", node.uuid, "--status", "maintenance"), EventKind.NODE_STATUS),
        (("node", "set", node.uuid, "--status", "ready"), EventKind.NODE_STATUS),
        (
            ("deploy", node.uuid, "--profile", profile.name, "--hostname", "cli01.example.test"),
            EventKind.BAREMETAL,
        ),
        (("baremetal", "release", node.uuid), EventKind.BAREMETAL),
    ]
    for args, kind in steps:
        result = cli.run(*args)
        assert result.returncode == 0, (args, result.stderr)
        new_event_of(node, seen, kind)
        assert_consistent(node)
    assert not Baremetal.objects.exists()


def test_agent_calls_over_grpc_rewrite_the_script(grpc_render, ipmi_pool, settings):  # noqa: F811
    agent, uuid = grpc_render, "4c4c4544-0042-3510-8052-b4c04f4a4b99"
    settings.BEARMAN_PUBLIC_URL = GRPC_PUBLIC_URL
    agent.Register(register_request(uuid), metadata=ENROLL)
    node = Node.objects.get(uuid=uuid)
    assert node.status == NodeStatus.REGISTERED
    assert_consistent(node)
    seen = {e.pk for e in node.events.all()}

    baremetal_create(node=node, profile=ProfileFactory(), hostname="g01", actor="test")
    new_event_of(node, seen, EventKind.BAREMETAL)
    claimed = agent.GetProfile(agent_pb2.GetProfileRequest(system_uuid=uuid), metadata=ENROLL)
    new_event_of(node, seen, EventKind.BAREMETAL)
    assert_consistent(node)
    agent.ReportInstalled(
        agent_pb2.ReportInstalledRequest(system_uuid=uuid), metadata=bearer(claimed.agent_token)
    )
    assert new_event_of(node, seen, EventKind.BAREMETAL)
    assert Baremetal.objects.get().status == DeployStatus.INSTALLED
    assert_consistent(node)


@pytest.fixture
def grpc_render(django_db_blocker, tmp_path, settings):
    """A real gRPC server process rendering into this test's directory; yields a stub."""
    extra = {"BEARMAN_IPXE_RENDER_DIR": settings.BEARMAN_IPXE_RENDER_DIR}
    with django_db_blocker.unblock():
        process, target = start_server(extra)
    try:
        with grpc.insecure_channel(target) as channel:
            yield agent_pb2_grpc.AgentServiceStub(channel)
    finally:
        stop_server(process)


# The paths left: node admission (admin actions, API, CLI), Baremetals added and removed in
# the admin, the admin's bulk deploy, the CLI's redeploy and profile change, a failure
# reported over real gRPC, and the worker's tasks themselves (a BMC check, the deadlines).


def admin_action(admin_client, action: str, *nodes: Node) -> str:
    changelist = reverse("admin:bearman_node_changelist")
    form = {"action": action, "_selected_action": [node.pk for node in nodes]}
    return admin_client.post(changelist, form, follow=True).content.decode()


def rendered_node(**fields) -> Node:
    node = NodeFactory(**fields)
    ipxe_render_nodes(uuids=[node.uuid])
    return node


def test_admin_accept_and_arm_actions_rewrite_the_script(admin_client):
    waiting = rendered_node(status=NodeStatus.DISCOVERED, bmc_address=None)
    assert "1 node(s) accepted" in admin_action(admin_client, "accept_discovered", waiting)
    assert "bearman.mode=register" in assert_consistent(waiting)
    assert new_event_of(waiting, set(), EventKind.NODE_STATUS).startswith("Accepted")

    ready = rendered_node(status=NodeStatus.READY)
    assert "bearman.mode" not in assert_consistent(ready)
    assert "1 node(s) armed" in admin_action(admin_client, "arm_reregistration", ready)
    assert "bearman.mode=register" in assert_consistent(ready)
    new_event_of(ready, set(), EventKind.REREGISTRATION_ARMED)


def test_admin_baremetal_added_and_deleted_rewrites_the_script(admin_client):
    node, profile = rendered_node(status=NodeStatus.READY), ProfileFactory()
    seen: set[int] = set()
    form = {"node": node.pk, "profile": profile.pk, "hostname": "adm01.example.test", "vlan": ""}
    assert admin_client.post(reverse("admin:bearman_baremetal_add"), form).status_code == 302
    assert "adm01.example.test" in assert_consistent(node)
    assert "created" in new_event_of(node, seen, EventKind.BAREMETAL)

    url = reverse("admin:bearman_baremetal_delete", args=[Baremetal.objects.get().pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert "adm01" not in assert_consistent(node)
    assert "removed" in new_event_of(node, seen, EventKind.BAREMETAL)


def test_admin_bulk_deploy_rewrites_the_script(admin_client):
    node = rendered_node(status=NodeStatus.READY, flavor=FlavorFactory(), bmc_driver="fake")
    assert "1 Baremetal(s) started" in admin_action(admin_client, "deploy_default_profile", node)
    assert "bearman.mode=deploy" in assert_consistent(node)
    new_event_of(node, set(), EventKind.BAREMETAL)


def test_api_accept_and_rearm_rewrite_the_script(api):
    waiting = rendered_node(status=NodeStatus.DISCOVERED, bmc_address=None)
    assert api.post(f"/api/v1/nodes/{waiting.uuid}/accept/").status_code == 200
    assert "bearman.mode=register" in assert_consistent(waiting)
    new_event_of(waiting, set(), EventKind.NODE_STATUS)

    ready = rendered_node(status=NodeStatus.READY)
    assert api.post(f"/api/v1/nodes/{ready.uuid}/rearm/").status_code == 200
    assert "bearman.mode=register" in assert_consistent(ready)
    new_event_of(ready, set(), EventKind.REREGISTRATION_ARMED)


def test_cli_accept_rearm_and_redeploy_rewrite_the_script(cli):  # noqa: F811
    node = rendered_node(status=NodeStatus.DISCOVERED, bmc_address=None)
    seen: set[int] = set()
    result = cli.run("node", "accept", node.uuid)
    assert result.returncode == 0, result.stderr
    assert "bearman.mode=register" in assert_consistent(node)
    new_event_of(node, seen, EventKind.NODE_STATUS)

    ready = rendered_node(status=NodeStatus.READY)
    result = cli.run("node", "rearm", ready.uuid)
    assert result.returncode == 0, result.stderr
    assert "bearman.mode=register" in assert_consistent(ready)
    new_event_of(ready, set(), EventKind.REREGISTRATION_ARMED)

    installed = deployed("cli02.example.test")
    claim = baremetal_profile_claim(uuid=installed.node.uuid, endpoints=BootEndpoints.configured())
    baremetal_report_installed(uuid=installed.node.uuid, token=claim.agent_token)
    seen = set(node_events(installed.node))
    assert "bearman.mode" not in assert_consistent(installed.node)
    result = cli.run("baremetal", "redeploy", installed.node.uuid)
    assert result.returncode == 0, result.stderr
    assert "bearman.mode=deploy" in assert_consistent(installed.node)
    new_event_of(installed.node, seen, EventKind.BAREMETAL)


def test_cli_profile_change_rewrites_every_script_using_it(cli):  # noqa: F811
    baremetal = deployed(boot_method="ipxe", append="console=ttyS0")
    result = cli.run("profile", "set", baremetal.profile.name, "--append", "console=ttyS3")
    assert result.returncode == 0, result.stderr
    assert "console=ttyS3" in assert_consistent(baremetal.node)


def test_agent_failure_report_over_grpc_rewrites_the_script(grpc_render, settings):
    agent = grpc_render
    settings.BEARMAN_PUBLIC_URL = GRPC_PUBLIC_URL
    baremetal = deployed("gf01")
    node, seen = baremetal.node, set(node_events(baremetal.node))
    claimed = agent.GetProfile(agent_pb2.GetProfileRequest(system_uuid=node.uuid), metadata=ENROLL)
    new_event_of(node, seen, EventKind.BAREMETAL)
    agent.ReportFailed(
        agent_pb2.ReportFailedRequest(system_uuid=node.uuid, message="no disk", phase="deploy"),
        metadata=bearer(claimed.agent_token),
    )
    assert "no disk" in new_event_of(node, seen, EventKind.BAREMETAL)
    assert Baremetal.objects.get().status == DeployStatus.UNRECOVERABLE_ERROR
    assert_consistent(node)


def test_worker_tasks_rewrite_the_script(settings):
    # The BMC check, as the worker runs it: the fake driver's machine answers.
    registered = rendered_node(status=NodeStatus.REGISTERED, bmc_driver="fake")
    check = PowerOperation.objects.create(
        node=registered, action=PowerAction.STATUS, requested_by="system"
    )
    power_operation(check.pk)
    assert Node.objects.get(pk=registered.pk).status == NodeStatus.READY
    assert "BMC" in new_event_of(registered, set(), EventKind.NODE_STATUS)
    assert_consistent(registered)

    # The deadlines: a Baremetal stuck past its deadline, a BMC that never answered.
    stuck = deployed("stuck01")
    seen = set(node_events(stuck.node))
    silent = rendered_node(
        status=NodeStatus.REGISTERED,
        last_registered_at=timezone.now() - timedelta(days=1),
    )
    Baremetal.objects.filter(pk=stuck.pk).update(
        deploy_started_at=timezone.now() - timedelta(days=1)
    )
    operations_deadlines()
    assert "stuck" in new_event_of(stuck.node, seen, EventKind.BAREMETAL)
    assert_consistent(stuck.node)
    assert Node.objects.get(pk=silent.pk).status == NodeStatus.ERROR
    assert "has not answered" in new_event_of(silent, set(), EventKind.NODE_STATUS)
    assert_consistent(silent)


def test_an_arming_past_its_time_is_forgotten_by_the_deadline_check():
    # A rendered file cannot expire by itself: the periodic check rewrites it.
    node = rendered_node(status=NodeStatus.READY)
    node_rearm(node=node, actor="alice")
    seen = set(node_events(node))
    assert "bearman.mode=register" in assert_consistent(node)
    Node.objects.filter(pk=node.pk).update(
        reregistration_armed_until=timezone.now() - timedelta(seconds=1)
    )
    operations_deadlines()
    assert "bearman.mode" not in assert_consistent(node)
    assert "expired" in new_event_of(node, seen, EventKind.REREGISTRATION_ARMED)
    assert Node.objects.get(pk=node.pk).reregistration_armed_until is None
