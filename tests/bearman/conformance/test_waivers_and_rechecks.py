"""A held node: waived differences, re-checks, and the way back into service.

Through the service, the REST API and the admin, on facts of a real Dell R640's tools.
"""

import pytest
from django.urls import reverse

from bearman.models import CablingLink, ConformanceWaiver, Node, PowerOperation
from bearman.services.admission import node_rearm
from bearman.services.conformance import (
    conformance_waive,
    node_conformance_recheck,
)
from bearman.services.power.bmc_check import nodes_mark_bmc_answered
from bearman.services.registration import nodes_register
from bearman.states import NodeStatus
from tests.bearman.api.conftest import ALL_PERMISSIONS, READ_ONLY, error_of
from tests.factories import NodeFactory

from .conftest import DELL_UUID, HPE_UUID, differences, register
from .machines import dell_r640, hpe_dl380, registration_request, with_memtotal_kib

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("ipmi_pool")]
SHORT = ("memory", "memory", "384 GiB ± 5 %", "188.3 GiB")
OLD_BIOS = ("firmware_needs_update", "bios", "2.17.1 or newer", "2.12.2")


@pytest.fixture
def held(dell_flavor, dell_plan, tmp_path) -> Node:
    """A Dell R640 with half its memory and an old BIOS: held at registration."""
    machine = dell_r640().changed(
        meminfo=with_memtotal_kib(dell_r640().meminfo, 197426560),
        dmidecode=dell_r640().dmidecode.replace("Version: 2.17.1", "Version: 2.12.2"),
    )
    node = register(machine, DELL_UUID, dell_flavor, tmp_path)
    assert node.status == NodeStatus.MAINTENANCE
    assert differences(node) == [SHORT, OLD_BIOS]
    return node


def test_waivers_and_a_recheck_bring_the_node_back_through_its_bmc_check(held):
    conformance_waive(
        node=held, kind="memory", component="memory", reason="DIMMs on order", actor="ana"
    )
    still = node_conformance_recheck(node=held, actor="ana")
    assert not still.passed and still.held
    held.refresh_from_db()
    assert held.status == NodeStatus.MAINTENANCE

    conformance_waive(
        node=held, kind="firmware_needs_update", component="bios", reason="next window", actor="bo"
    )
    verdict = node_conformance_recheck(node=held, actor="bo")

    assert verdict.passed and not verdict.held
    assert [(d.kind, d.waiver.created_by) for d in verdict.differences.all()] == [
        ("memory", "ana"),
        ("firmware_needs_update", "bo"),
    ]
    held.refresh_from_db()
    assert held.status == NodeStatus.REGISTERED  # the normal flow: its BMC check next
    assert PowerOperation.objects.filter(node=held, action="status").count() == 1
    nodes_mark_bmc_answered(node_ids=[held.pk])
    held.refresh_from_db()
    assert held.status == NodeStatus.READY
    assert held.conformance_verdicts.count() == 3
    assert held.conformance_verdicts.filter(latest=True).get() == verdict


def test_a_ready_node_that_fails_a_recheck_is_held(dell_flavor, dell_plan, tmp_path):
    node = register(dell_r640(), DELL_UUID, dell_flavor, tmp_path)
    nodes_mark_bmc_answered(node_ids=[node.pk])
    dell_flavor.memory_gib = 512
    dell_flavor.save()

    verdict = node_conformance_recheck(node=node, actor="ana")

    node.refresh_from_db()
    assert (verdict.passed, verdict.held, node.status) == (False, True, NodeStatus.MAINTENANCE)
    assert differences(node) == [("memory", "memory", "512 GiB ± 5 %", "376.6 GiB")]


@pytest.mark.parametrize(
    ("kind", "component", "reason", "message"),
    [
        ("cabling", "eno1", "fine", "has no difference 'Not cabled as planned' of 'eno1'"),
        ("memory", "memory", "   ", "needs a reason"),
        ("memory", "memory", "x" * 1001, "at most 1000 characters"),
    ],
)
def test_a_waiver_without_its_difference_or_reason_is_refused(
    held, kind, component, reason, message
):
    from bearman.errors import ConformanceNothingToWaive

    with pytest.raises(ConformanceNothingToWaive, match=message):
        conformance_waive(node=held, kind=kind, component=component, reason=reason, actor="ana")
    assert not ConformanceWaiver.objects.exists()


def test_the_api_shows_the_verdict_and_takes_waivers_and_rechecks(held, client_for):
    operator = client_for(
        [*ALL_PERMISSIONS, "bearman.add_conformancewaiver", "bearman.view_conformanceverdict"]
    )
    url = f"/api/v1/nodes/{held.uuid.upper()}/conformance/"

    shown = operator.get(url)
    assert shown.status_code == 200, shown.content
    body = shown.json()
    assert body["status"] == "maintenance"
    assert body["latest"]["passed"] is False and body["latest"]["held"] is True
    assert [
        (d["kind"], d["component"], d["expected"], d["found"], d["waived"])
        for d in body["latest"]["differences"]
    ] == [
        (*SHORT, False),
        (*OLD_BIOS, False),
    ]
    assert [v["trigger"] for v in body["history"]] == ["registration"]

    bad = operator.post(f"{url}waivers/", {"kind": "cabling", "component": "eno1", "reason": "x"})
    assert bad.status_code == 409 and error_of(bad)["code"] == "nothing_to_waive"
    bad = operator.post(f"{url}waivers/", {"kind": "nonsense", "component": "x", "reason": "x"})
    assert bad.status_code == 400 and "kind" in error_of(bad)["fields"]
    assert not ConformanceWaiver.objects.exists()

    for kind, component in (("memory", "memory"), ("firmware_needs_update", "bios")):
        made = operator.post(
            f"{url}waivers/", {"kind": kind, "component": component, "reason": "accepted"}
        )
        assert made.status_code == 201, made.content
        assert made.json()["created_by"] == "user0"
    checked = operator.post(f"{url}recheck/")
    assert checked.status_code == 200, checked.content
    assert checked.json()["passed"] is True
    assert operator.get(url).json()["status"] == "registered"


@pytest.mark.parametrize("change", [{"reason": 7}, {"reason": 1.5}, {"component": 12}])
def test_a_waiver_of_the_wrong_json_type_is_refused(held, client_for, change):
    operator = client_for([*ALL_PERMISSIONS, "bearman.add_conformancewaiver"])
    body = {"kind": "memory", "component": "memory", "reason": "DIMMs on order", **change}
    response = operator.post(f"/api/v1/nodes/{held.uuid}/conformance/waivers/", body)
    assert response.status_code == 400, response.content
    (field,) = change
    assert error_of(response)["fields"][field] == ["Expected a string."]
    assert not ConformanceWaiver.objects.exists()


def test_the_api_asks_for_the_permissions(held, client_for, anonymous):
    url = f"/api/v1/nodes/{held.uuid}/conformance/"
    reader = client_for([*READ_ONLY, "bearman.view_conformanceverdict"])
    assert anonymous.get(url).status_code == 401
    assert client_for(READ_ONLY).get(url).status_code == 403
    assert reader.get(url).status_code == 200
    assert reader.post(f"{url}recheck/").status_code == 403
    waiver = {"kind": "memory", "component": "memory", "reason": "ok"}
    assert reader.post(f"{url}waivers/", waiver).status_code == 403
    assert client_for(["bearman.view_node"]).get("/api/v1/nodes/0/conformance/").status_code == 403
    assert (
        reader.get("/api/v1/nodes/00000000-0000-4000-8000-000000000000/conformance/").status_code
        == 404
    )
    held.refresh_from_db()
    assert held.conformance_verdicts.count() == 1 and not ConformanceWaiver.objects.exists()


def test_the_admin_node_page_shows_the_differences_and_the_history(held, admin_client):
    page = admin_client.get(reverse("admin:bearman_node_change", args=[held.pk])).content.decode()
    for text in (
        "Failed",
        "Memory",
        "188.3 GiB",
        "Firmware needs update",
        "2.12.2",
        "Accept…",
        "Re-check now",
    ):
        assert text in page, text

    waiver_add = reverse("admin:bearman_conformancewaiver_add")
    answer = admin_client.post(
        waiver_add,
        {"node": held.pk, "kind": "memory", "component": "memory", "reason": "DIMMs on order"},
        follow=True,
    )
    assert answer.status_code == 200
    refused = admin_client.post(
        waiver_add, {"node": held.pk, "kind": "cabling", "component": "eno1", "reason": "x"}
    ).content.decode()
    assert "nothing to waive" in refused
    assert ConformanceWaiver.objects.get().created_by == "admin"

    admin_client.post(
        reverse("admin:bearman_node_conformance_recheck", args=[held.pk]), follow=True
    )
    page = admin_client.get(reverse("admin:bearman_node_change", args=[held.pk])).content.decode()
    assert "waived by admin: DIMMs on order" in page
    assert "conformance-history" in page  # two verdicts now


def test_the_admin_node_list_filters_by_verdict(held, admin_client):
    passing = NodeFactory(status=NodeStatus.READY)
    never = NodeFactory(status=NodeStatus.READY)
    conformance_waive(node=held, kind="memory", component="memory", reason="ok", actor="a")
    changelist = reverse("admin:bearman_node_changelist")

    def listed(value):
        page = admin_client.get(changelist, {"conformance": value}).content.decode()
        return {n.serial for n in (held, passing, never) if n.serial in page}

    assert listed("failed") == {held.serial}
    node_conformance_recheck(node=passing, actor="a")  # no flavor, no plan: passes
    assert listed("passed") == {passing.serial}
    assert listed("unchecked") == {never.serial}


def test_metrics_count_nodes_by_verdict_and_differences_by_kind(held, client):
    NodeFactory(status=NodeStatus.READY)  # never checked
    conformance_waive(node=held, kind="memory", component="memory", reason="ok", actor="a")

    text = client.get("/metrics").content.decode()

    for line in (
        'bearman_nodes_conformance{verdict="failed"} 1.0',
        'bearman_nodes_conformance{verdict="passed"} 0.0',
        'bearman_nodes_conformance{verdict="unchecked"} 1.0',
        'bearman_conformance_differences{kind="memory",waived="true"} 1.0',
        'bearman_conformance_differences{kind="firmware_needs_update",waived="false"} 1.0',
    ):
        assert line in text, line


def test_after_fixing_the_cable_a_rearmed_registration_passes(hpe_flavor, tmp_path):
    # Plugged crossed: each NIC sees the port planned for the other.
    for nic, switch in (("ens1f0", "n9k-leaf-04"), ("ens1f1", "n9k-leaf-03")):
        CablingLink.objects.create(serial="CZJ9470KQ1", nic=nic, switch=switch, port="Eth1/17")
    node = register(hpe_dl380(), HPE_UUID, hpe_flavor, tmp_path / "first")
    assert [d[0] for d in differences(node)] == ["crossed_cable", "crossed_cable"]

    # The technician swaps the two cables; the operator lets the node register again.
    swapped = hpe_dl380().lldpctl.replace("n9k-leaf-03", "n9k-leaf-XX")
    swapped = swapped.replace("n9k-leaf-04", "n9k-leaf-03").replace("n9k-leaf-XX", "n9k-leaf-04")
    node_rearm(node=node, actor="ana")
    (answer,) = nodes_register(
        requests=[registration_request(hpe_dl380().changed(lldpctl=swapped), tmp_path / "again")]
    )

    node.refresh_from_db()
    assert answer.uuid == HPE_UUID
    assert node.status == NodeStatus.REGISTERED  # its BMC check is queued: READY next
    assert differences(node) == []
    assert [v.passed for v in node.conformance_verdicts.all()] == [True, False]
