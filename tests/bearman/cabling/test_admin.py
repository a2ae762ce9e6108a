"""The cabling plan in the admin: upload, preview (nothing written), confirm; the node page."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bearman.models import CablingLink
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db
IMPORT = reverse("admin:bearman_cablinglink_import")
CHANGELIST = reverse("admin:bearman_cablinglink_changelist")
PLAN = b"\xef\xbb\xbfserial,nic,switch,port\r\nCZ2D1001,eno1,leaf-r12-a,Ethernet1\r\n"


def upload(client, data: bytes):
    return client.post(IMPORT, {"plan": SimpleUploadedFile("plan.csv", data, "text/csv")})


def test_an_upload_previews_the_changes_and_writes_only_once_confirmed(admin_client):
    CablingLink.objects.create(serial="CZ2D1002", nic="eno1", switch="leaf-r12-a", port="Ethernet2")
    data = PLAN + b"CZ2D1002,eno1,leaf-r12-a,Ethernet3\r\n"

    preview = upload(admin_client, data)

    page = preview.content.decode()
    assert "1 created, 1 changed, 0 unchanged." in page
    assert "Ethernet2 → Ethernet3" in page
    assert CablingLink.objects.count() == 1
    plan_text = preview.context["confirm_form"].initial["plan_text"]

    done = admin_client.post(IMPORT, {"plan_text": plan_text, "confirm": "1"}, follow=True)

    assert "Cabling plan imported: 1 created, 1 changed, 0 unchanged." in done.content.decode()
    assert sorted(CablingLink.objects.values_list("serial", "port")) == [
        ("CZ2D1001", "Ethernet1"),
        ("CZ2D1002", "Ethernet3"),
    ]


def test_a_bad_upload_lists_the_refused_lines_and_offers_no_confirm(admin_client):
    data = PLAN + b"CZ2D1003,,leaf-r12-a,Ethernet4\r\n"

    page = upload(admin_client, data).content.decode()

    assert "The file was refused and nothing was written" in page
    assert "Line 3: nic is empty" in page
    assert 'name="confirm"' not in page
    assert not CablingLink.objects.exists()


def test_the_import_page_needs_the_permission_to_change_the_plan(client, django_user_model):
    user = django_user_model.objects.create_user("vic", password="Viewer-Pw-1", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_cablinglink"))
    client.force_login(user)

    assert upload(client, PLAN).status_code == 403
    assert not CablingLink.objects.exists()


def test_the_node_page_shows_its_cables_with_a_link_to_add_one(admin_client):
    node = NodeFactory(serial="CZ2D1001")
    CablingLink.objects.create(serial="CZ2D1001", nic="eno1", switch="leaf-r12-a", port="Ethernet1")
    url = reverse("admin:bearman_node_change", args=[node.pk])

    page = admin_client.get(url).content.decode()

    assert "leaf-r12-a" in page and "Ethernet1" in page
    assert f"{reverse('admin:bearman_cablinglink_add')}?serial=CZ2D1001" in page


def test_a_cable_added_in_the_admin_must_use_a_free_switch_port(admin_client):
    CablingLink.objects.create(serial="CZ2D1001", nic="eno1", switch="leaf-r12-a", port="Ethernet1")
    form = {"serial": "CZ2D1002", "nic": "eno1", "switch": "leaf-r12-a", "port": "Ethernet1"}

    page = admin_client.post(reverse("admin:bearman_cablinglink_add"), form).content.decode()

    assert "This switch port is already cabled to another NIC." in page
    assert CablingLink.objects.count() == 1


def test_the_plan_list_offers_the_import_page(admin_client):
    assert IMPORT in admin_client.get(CHANGELIST).content.decode()

    page = admin_client.get(IMPORT).content.decode()

    assert 'type="file"' in page and "Preview the changes" in page


def test_the_node_page_links_its_cables_to_change_them_in_the_list(admin_client):
    node = NodeFactory(serial="CZ2D1001", rack_position="dc1-r12-u07")
    by_serial = CablingLink.objects.create(
        serial="CZ2D1001", nic="eno1", switch="leaf-r12-a", port="Ethernet1"
    )
    CablingLink.objects.create(
        rack_position="dc1-r12-u07", nic="eno2", switch="leaf-r12-b", port="Ethernet1"
    )
    CablingLink.objects.create(serial="OTHER", nic="eno1", switch="leaf-r12-a", port="Ethernet2")
    node_page = admin_client.get(reverse("admin:bearman_node_change", args=[node.pk]))
    mine = f"{CHANGELIST}?node={node.pk}"
    assert f'<a href="{mine}">Change these cables</a>' in node_page.content.decode()

    listed = admin_client.get(mine).context["cl"].result_list
    assert sorted(link.nic for link in listed) == ["eno1", "eno2"]

    form = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(by_serial.pk),
        "form-0-switch": "leaf-r12-a",
        "form-0-port": "Ethernet7",
        "_save": "Save",
    }
    assert admin_client.post(mine, form).status_code == 302
    assert CablingLink.objects.get(pk=by_serial.pk).port == "Ethernet7"

    taken = admin_client.post(mine, {**form, "form-0-port": "Ethernet2"})
    assert "This switch port is already cabled to another NIC." in taken.content.decode()
    assert CablingLink.objects.get(pk=by_serial.pk).port == "Ethernet7"


def test_the_node_list_finds_a_node_by_its_rack_position(admin_client):
    node = NodeFactory(rack_position="dc1-r12-u07")
    NodeFactory(rack_position="dc1-r12-u08")

    found = admin_client.get(reverse("admin:bearman_node_changelist"), {"q": "dc1-r12-u07"})

    assert list(found.context["cl"].result_list) == [node]
