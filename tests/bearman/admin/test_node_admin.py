import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bearman.models import Node
from bearman.services import node_set_bmc_password
from bearman.states import NodeStatus
from tests.factories import BaremetalFactory, FlavorFactory, NodeFactory, sample_facts

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:bearman_node_changelist")


def listed_uuids(response) -> set[str]:
    return set(
        re.findall(
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            response.content.decode(),
        )
    )


def test_node_list_shows_the_operator_columns(admin_client):
    node = NodeFactory(flavor=FlavorFactory(name="storage"), bmc_address="10.20.0.7")
    BaremetalFactory(node=node)
    page = admin_client.get(CHANGELIST).content.decode()
    for header in [
        "System UUID",
        "Serial",
        "Vendor",
        "Product name",
        "Flavor",
        "Availability zone",
        "IPMI IP",
        "Status",
        "Power state",
        "Baremetal",
    ]:
        assert f">{header}<" in page or f">{header}</a>" in page, header
    for value in [
        node.uuid,
        node.serial,
        "Dell Inc.",
        "PowerEdge R640",
        "storage",
        "az1",
        "10.20.0.7",
        "Registered",
        "Unknown",
        "Deploy start",
    ]:
        assert value in page, value


@pytest.mark.parametrize(
    "term",
    [
        "serial",
        "uuid_upper",
        "bmc_address",
        "hostname",
        "mac",
        "mac_dashes",
        "bmc_mac",
    ],
)
def test_search_finds_a_node_by_what_an_operator_has_in_hand(admin_client, term):
    target = NodeFactory(facts=sample_facts(77), bmc_address="10.9.8.7")
    target.mac_addresses = "b8:ca:3a:00:00:4d b8:ca:3b:00:00:4d"
    target.save()
    BaremetalFactory(node=target, hostname="db07.r3.example.test")
    NodeFactory.create_batch(3)
    query = {
        "serial": target.serial,
        "uuid_upper": target.uuid.upper(),
        "bmc_address": "10.9.8.7",
        "hostname": "db07.r3",
        "mac": "B8:CA:3A:00:00:4D",
        "mac_dashes": "b8-ca-3a-00-00-4d",
        "bmc_mac": "b8:ca:3b:00:00:4d",
    }[term]
    response = admin_client.get(CHANGELIST, {"q": query})
    assert listed_uuids(response) == {target.uuid}


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("status__exact", "maintenance"),
        ("availability_zone", "az9"),
        ("vendor", "HPE"),
        ("power_state__exact", "on"),
        ("flavor__id__exact", None),
    ],
)
def test_filters_narrow_the_list(admin_client, param, value):
    flavor = FlavorFactory()
    target = NodeFactory(
        status=NodeStatus.MAINTENANCE,
        availability_zone="az9",
        vendor="HPE",
        power_state="on",
        flavor=flavor,
    )
    NodeFactory.create_batch(3)
    response = admin_client.get(CHANGELIST, {param: value or flavor.pk})
    assert listed_uuids(response) == {target.uuid}


def test_node_page_shows_facts_as_tables_and_events_newest_first(admin_client):
    node = NodeFactory(facts=sample_facts(5))
    node_set_bmc_password(node=node, password="first-Secret-1", actor="alice")
    node_set_bmc_password(node=node, password="", actor="bob")
    page = admin_client.get(reverse("admin:bearman_node_change", args=[node.pk])).content.decode()
    assert "<th>LLDP switch</th>" in page and "<td>tor-r12-a</td>" in page
    assert "<td>Ethernet12</td>" in page and "<td>25 Gb/s</td>" in page
    assert "<td>SAMSUNG MZ7LH960</td>" in page and "<td>894.3 GiB</td>" in page
    assert "2 × Intel(R) Xeon(R) Gold 6230" in page and "384.0 GiB" in page
    assert "<td>iDRAC 6.10.30.00</td>" in page
    assert '"memory_bytes"' not in page  # no raw JSON
    assert page.index("BMC password cleared") < page.index("BMC password changed")


def test_bmc_password_is_set_from_the_form_and_never_shown(admin_client):
    node = NodeFactory()
    url = reverse("admin:bearman_node_change", args=[node.pk])
    form = {
        "serial": node.serial,
        "vendor": node.vendor,
        "product_name": node.product_name,
        "status": node.status,
        "availability_zone": "az1",
        "bmc_driver": "ipmi",
        "bmc_address": node.bmc_address,
        "bmc_port": 623,
        "bmc_username": "root",
        "new_bmc_password": "Very-Secret-Pw-42",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302
    node.refresh_from_db()
    assert node.has_bmc_password and node.bmc_username == "root"
    for page in (admin_client.get(url), admin_client.get(CHANGELIST)):
        html = page.content.decode()
        assert "Very-Secret-Pw-42" not in html
        assert node.bmc_password_encrypted not in html
    assert "set (hidden)" in admin_client.get(url).content.decode()


def test_node_list_query_count_does_not_grow_with_10000_nodes(admin_client):
    flavor = FlavorFactory()
    NodeFactory.create_batch(5, flavor=flavor)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(CHANGELIST).status_code == 200
    profile = flavor.default_profile
    nodes = Node.objects.bulk_create(
        NodeFactory.build(flavor=flavor, bmc_address=None) for _ in range(10_000)
    )
    for node in nodes[:50]:
        BaremetalFactory(node=node, profile=profile)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert "10005 nodes" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
