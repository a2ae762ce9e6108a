"""A flavor's expectations through the API: what it takes, and what it refuses (a 400)."""

import pytest
from django.urls import reverse

from bearman.models import Flavor
from tests.bearman.api.conftest import error_of

pytestmark = pytest.mark.django_db
FLAVORS = "/api/v1/flavors/"


def test_a_flavor_takes_its_expectations(operator):
    expectations = {
        "cpu_model_pattern": "/Gold 62[0-9]{2}R?/",
        "cpu_min_cores": 40,
        "memory_gib": 384,
        "memory_tolerance_percent": 3,
        "disk_count": 2,
        "disk_kind": "nvme",
        "disk_min_gb": 1900,
        "nic_count": 2,
        "nic_min_speed_mbps": 25000,
        "nic_link_required": True,
        "firmware_minimums": {"bios": "U30 v2.72", "bmc": "iDRAC 4.40.00.00", "nic": "22.31"},
    }
    made = operator.post(FLAVORS, {"name": "storage-nvme", **expectations})
    assert made.status_code == 201, made.content
    assert {key: made.json()[key] for key in expectations} == expectations
    assert Flavor.objects.get(name="storage-nvme").disk_kind == "nvme"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cpu_model_pattern", "/Gold (62/", "Not a regular expression"),
        ("firmware_minimums", {"bios": "soon"}, "no version number"),
        ("firmware_minimums", {"raid": "1.0"}, "Unknown firmware component 'raid'"),
        ("firmware_minimums", {"bios": ["2.1"]}, "not understood"),
        ("firmware_minimums", ["2.1"], "Firmware minimums are an object"),
        ("memory_tolerance_percent", 80, "less than or equal to 50"),
        ("disk_kind", "tape", "not a valid choice"),
    ],
)
def test_a_flavor_refuses_expectations_it_cannot_check(operator, field, value, message):
    refused = operator.post(FLAVORS, {"name": "broken", field: value})
    assert refused.status_code == 400, refused.content
    assert message in " ".join(error_of(refused)["fields"][field])
    assert not Flavor.objects.filter(name="broken").exists()


def test_the_admin_flavor_form_takes_the_expectations(admin_client):
    add = reverse("admin:bearman_flavor_add")
    assert "What its nodes must have" in admin_client.get(add).content.decode()
    form = {
        "name": "compute",
        "service_pools": "[]",
        "bond_mode": "none",
        "cpu_model_pattern": "*Gold*",
        "memory_tolerance_percent": "5",
        "firmware_minimums": '{"bios": "soon"}',
    }
    refused = admin_client.post(add, form).content.decode()
    assert "no version number" in refused
    admin_client.post(add, {**form, "firmware_minimums": '{"bios": "2.19.1"}'})
    assert Flavor.objects.get(name="compute").firmware_minimums == {"bios": "2.19.1"}
