"""Flavors and profiles through the API: the admin's rules, the services' side effects."""

import pytest

from bearman.models import Flavor, Profile
from bearman_agent.install_script import run_install_script
from tests.bearman.api.conftest import error_of
from tests.factories import BaremetalFactory, FlavorFactory, ProfileFactory

pytestmark = pytest.mark.django_db

FLAVORS = "/api/v1/flavors/"
PROFILES = "/api/v1/profiles/"
KERNEL = "https://images.example.test/noble/vmlinuz"


def test_flavor_create_read_update_delete(operator):
    ProfileFactory(name="noble")
    created = operator.post(
        FLAVORS,
        {"name": "compute", "default_profile": "noble", "service_pools": ["svc-az1"], "vlan": 120},
    )
    assert created.status_code == 201, created.content
    assert created.json()["default_profile"] == "noble"
    assert operator.get(f"{FLAVORS}compute/").json()["service_pools"] == ["svc-az1"]
    patched = operator.patch(f"{FLAVORS}compute/", {"bond_mode": "802.3ad"})
    assert patched.json()["bond_mode"] == "802.3ad"
    assert operator.delete(f"{FLAVORS}compute/").status_code == 204
    assert not Flavor.objects.exists()


def test_flavor_refuses_what_the_admin_refuses(operator):
    FlavorFactory(name="compute")
    response = operator.post(
        FLAVORS,
        {
            "name": "compute",
            "vlan": 5000,
            "bond_options": "miimon=100\nboot",
            "service_pools": [""],
        },
    )
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"name", "vlan", "bond_options", "service_pools"}


def test_profile_create_with_a_kernel_url(operator):
    response = operator.post(
        PROFILES, {"name": "noble", "kernel_url": KERNEL, "append": "console=ttyS0 ip=dhcp"}
    )
    assert response.status_code == 201, response.content
    assert Profile.objects.get(name="noble").kernel_url == KERNEL


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "p"}, "non_field_errors"),  # neither a kernel URL nor an artifact
        ({"name": "p", "kernel_url": "ftp://images.example.test/k"}, "kernel_url"),
        ({"name": "p", "kernel_url": KERNEL, "append": "a\nchain http://evil"}, "append"),
        ({"name": "p", "kernel_url": KERNEL, "append": "quiet ${ip}"}, "append"),
        ({"name": "p", "kernel_url": KERNEL, "append": "root={rootdev}"}, "append"),
        ({"name": "p", "kernel_url": "https://images.example.test/${net0/ip}/k"}, "kernel_url"),
        ({"name": "p", "kernel_url": KERNEL, "kernel_sha256": "ABC"}, "kernel_sha256"),
        ({"name": "p", "kernel_artifact": "missing.img"}, "kernel_artifact"),
        ({"name": "not a slug", "kernel_url": KERNEL}, "name"),
    ],
)
def test_profile_rules_are_the_models(operator, payload, field):
    response = operator.post(PROFILES, payload)
    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]
    assert not Profile.objects.exists()


def test_editing_a_deployed_profile_rewrites_its_nodes_scripts(
    operator, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.BEARMAN_PUBLIC_URL = "http://bearman.example.test"
    settings.BEARMAN_IPXE_RENDER_DIR = str(tmp_path)
    baremetal = BaremetalFactory(profile=ProfileFactory(name="noble", boot_method="ipxe"))
    with django_capture_on_commit_callbacks(execute=True):
        response = operator.patch(f"{PROFILES}noble/", {"append": "console=ttyS0 quiet"})
    assert response.status_code == 200, response.content
    script = (tmp_path / f"{baremetal.node.uuid}.ipxe").read_text()
    assert "console=ttyS0 quiet" in script


def test_a_profile_in_use_cannot_be_deleted(operator):
    BaremetalFactory(profile=ProfileFactory(name="noble"), hostname="web01.example.test")
    response = operator.delete(f"{PROFILES}noble/")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "profile_in_use"
    assert "web01.example.test" in error["message"]
    assert Profile.objects.filter(name="noble").exists()


def test_catalog_writes_need_their_permissions(client_for):
    ProfileFactory(name="noble")
    viewer = client_for(["bearman.view_profile", "bearman.view_flavor"])
    assert viewer.get(f"{PROFILES}noble/").status_code == 200
    assert viewer.patch(f"{PROFILES}noble/", {"description": "x"}).status_code == 403
    assert viewer.delete(f"{PROFILES}noble/").status_code == 403
    assert viewer.post(FLAVORS, {"name": "x"}).status_code == 403
    assert client_for(["bearman.view_flavor"]).get(PROFILES).status_code == 403


def test_a_profile_install_script_is_stored_with_lf_line_endings(operator, tmp_path):
    script = "#!/bin/sh\r\nset -e\r\necho done > out\r\n"
    created = operator.post(
        PROFILES, {"name": "crlf", "kernel_url": KERNEL, "install_script": script}
    )
    assert created.status_code == 201, created.content
    assert created.json()["install_script"] == "#!/bin/sh\nset -e\necho done > out\n"
    patched = operator.patch(f"{PROFILES}crlf/", {"install_script": "#!/bin/sh\rexit 0\r"})
    assert patched.json()["install_script"] == "#!/bin/sh\nexit 0\n"
    operator.patch(f"{PROFILES}crlf/", {"install_script": script})
    stored = Profile.objects.get(name="crlf").install_script
    run_install_script(stored, workdir=tmp_path, env={}, timeout=30)
    assert (tmp_path / "out").read_text() == "done\n"
