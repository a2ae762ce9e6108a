"""Registration checks each node against its flavor and cabling plan (real parsers' facts).

Each machine is built from recorded outputs of real tools by the agent's own parsers,
sent through the wire types and the server's converters into the registration service.
"""

from uuid import UUID

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bearman.models import (
    CablingLink,
    ConformanceVerdict,
    DifferenceKind,
    Node,
    Notice,
    NoticeKind,
    PowerOperation,
)
from bearman.services.conformance import Subject, nodes_conformance_check
from bearman.services.registration import nodes_register
from bearman.states import NodeStatus
from tests.factories import NodeFactory

from .conftest import DELL_UUID, HPE_UUID, differences, flavor, register
from .machines import (
    dell_r640,
    hpe_dl380,
    registration_request,
    supermicro_1029u,
    with_memtotal_kib,
    without_disk,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("ipmi_pool")]


def test_a_dell_r640_matching_its_flavor_and_plan_passes(dell_flavor, dell_plan, tmp_path):
    node = register(dell_r640(), DELL_UUID, dell_flavor, tmp_path)

    verdict = node.conformance_verdicts.get()
    assert (verdict.passed, verdict.trigger, verdict.flavor_name) == (
        True,
        "registration",
        "compute-r640",
    )
    assert differences(node) == []
    assert node.status == NodeStatus.REGISTERED  # READY once its BMC answers, as always
    assert PowerOperation.objects.filter(node=node, action="status").count() == 1
    assert not Notice.objects.exists()


def test_an_hpe_dl380_matching_its_flavor_and_plan_passes(hpe_flavor, hpe_plan, tmp_path):
    node = register(hpe_dl380(), HPE_UUID, hpe_flavor, tmp_path)

    # eno1 has no cable and is not in the plan: the NIC rules look at the planned NICs.
    assert differences(node) == []
    assert node.conformance_verdicts.get().passed


def assert_held_with(node: Node, expected: list[tuple]) -> None:
    assert differences(node) == expected
    assert node.status == NodeStatus.MAINTENANCE
    assert not PowerOperation.objects.filter(node=node).exists()  # no BMC check while held
    (notice,) = Notice.objects.filter(node=node)
    assert notice.kind == NoticeKind.CONFORMANCE_FAILED
    for kind, component, want, found in expected:
        label = DifferenceKind(kind).label
        assert f"- {label} ({component}): expected {want}, found {found}" in notice.message


def test_a_missing_disk_holds_the_node(dell_flavor, dell_plan, tmp_path):
    machine = dell_r640().changed(lsblk=without_disk(dell_r640().lsblk, "sda"))
    node = register(machine, DELL_UUID, dell_flavor, tmp_path)
    assert_held_with(
        node,
        [
            (
                "disk_missing",
                "disks",
                "1 × SSD of at least 400 GB",
                "0 fitting (of sdb HDD 3.6 TiB)",
            )
        ],
    )


def test_short_memory_holds_the_node(dell_flavor, dell_plan, tmp_path):
    # Half the DIMMs: what the kernel reports of a 192 GiB machine.
    machine = dell_r640().changed(meminfo=with_memtotal_kib(dell_r640().meminfo, 197426560))
    node = register(machine, DELL_UUID, dell_flavor, tmp_path)
    assert_held_with(node, [("memory", "memory", "384 GiB ± 5 %", "188.3 GiB")])


def test_a_slow_nic_holds_the_node(dell_flavor, dell_plan, tmp_path):
    machine = dell_r640().nic_changed("eno1", speed_mbps=1000)
    node = register(machine, DELL_UUID, dell_flavor, tmp_path)
    assert_held_with(node, [("nic_slow", "eno1", "at least 10 Gb/s", "1 Gb/s")])


def test_a_link_down_holds_the_node(dell_flavor, dell_plan, tmp_path):
    # No carrier: lldpd saw nobody on it either.
    machine = dell_r640().nic_changed("eno1", carrier=False)
    machine = machine.changed(lldpctl='{"lldp": {}}')
    node = register(machine, DELL_UUID, dell_flavor, tmp_path)
    assert_held_with(node, [("link_down", "eno1", "link up", "no link")])


def test_an_old_bios_needs_an_update(dell_flavor, dell_plan, tmp_path):
    machine = dell_r640().changed(
        dmidecode=dell_r640().dmidecode.replace("Version: 2.17.1", "Version: 2.12.2")
    )
    node = register(machine, DELL_UUID, dell_flavor, tmp_path)
    assert_held_with(node, [("firmware_needs_update", "bios", "2.17.1 or newer", "2.12.2")])


def test_crossed_cables_are_named_for_each_nic(hpe_flavor, tmp_path):
    # The cables as recorded; the plan says the other way round.
    for nic, switch in (("ens1f0", "n9k-leaf-04"), ("ens1f1", "n9k-leaf-03")):
        CablingLink.objects.create(serial="CZJ9470KQ1", nic=nic, switch=switch, port="Eth1/17")
    node = register(hpe_dl380(), HPE_UUID, hpe_flavor, tmp_path)
    assert_held_with(
        node,
        [
            (
                "crossed_cable",
                "ens1f0",
                "n9k-leaf-04 Eth1/17",
                "n9k-leaf-03 Eth1/17, planned for ens1f1",
            ),
            (
                "crossed_cable",
                "ens1f1",
                "n9k-leaf-03 Eth1/17",
                "n9k-leaf-04 Eth1/17, planned for ens1f0",
            ),
        ],
    )


def test_a_nic_on_an_unplanned_port_is_not_cabled_as_planned(dell_flavor, tmp_path):
    CablingLink.objects.create(
        serial="7XK4PW2", nic="eno1", switch="leaf-r12-a.dc1", port="Ethernet13"
    )
    node = register(dell_r640(), DELL_UUID, dell_flavor, tmp_path)
    assert_held_with(
        node, [("cabling", "eno1", "leaf-r12-a.dc1 Ethernet13", "leaf-r12-a.dc1 Ethernet12")]
    )


def test_an_hpe_rom_is_compared_by_its_family_and_release(hpe_flavor, hpe_plan, tmp_path):
    # dmidecode says "Version: U30" (the ROM family) and "BIOS Revision: 2.80" (its release);
    # the agent reports "U30 v2.80", as HPE writes it.
    hpe_flavor.firmware_minimums = {"bios": "U30 v2.90"}
    hpe_flavor.save()
    node = register(hpe_dl380(), HPE_UUID, hpe_flavor, tmp_path)
    assert_held_with(node, [("firmware_needs_update", "bios", "U30 v2.90 or newer", "U30 v2.80")])

    hpe_flavor.firmware_minimums = {"bios": "U30 v2.72"}
    hpe_flavor.save()
    Node.objects.filter(pk=node.pk).delete()
    node = register(hpe_dl380(), HPE_UUID, hpe_flavor, tmp_path)
    assert node.status == NodeStatus.REGISTERED
    assert node.conformance_verdicts.get().passed


def test_an_old_ilo_and_two_rules_at_once(hpe_flavor, hpe_plan, tmp_path):
    hpe_flavor.firmware_minimums = {"bmc": "2.80"}
    hpe_flavor.save()
    machine = hpe_dl380().changed(lsblk=without_disk(hpe_dl380().lsblk, "sdb"))
    node = register(machine, HPE_UUID, hpe_flavor, tmp_path)
    assert_held_with(
        node,
        [
            (
                "disk_missing",
                "disks",
                "1 × HDD of at least 7000 GB",
                "0 fitting (of sda SSD 447.1 GiB)",
            ),
            ("firmware_needs_update", "bmc", "2.80 or newer", "2.78"),
        ],
    )


def test_a_node_without_flavor_or_plan_gets_no_verdict(tmp_path):
    NodeFactory(uuid=DELL_UUID, serial="", flavor=None, facts={}, bmc_address=None)
    nodes_register(requests=[registration_request(dell_r640(), tmp_path / "net")])
    node = Node.objects.get(uuid=DELL_UUID)
    assert not node.conformance_verdicts.exists()
    assert node.status == NodeStatus.REGISTERED


def test_a_plan_by_rack_position_is_checked_too(dell_flavor, tmp_path):
    CablingLink.objects.create(
        rack_position="dc1-r12-u07", nic="eno1", switch="leaf-r12-a", port="Ethernet14"
    )
    NodeFactory(
        uuid=DELL_UUID, serial="", rack_position="dc1-r12-u07", flavor=dell_flavor, facts={}
    )
    nodes_register(requests=[registration_request(dell_r640(), tmp_path / "net")])
    # The plan's short switch name matches the FQDN the switch sends; the port does not.
    assert differences(Node.objects.get(uuid=DELL_UUID)) == [
        ("cabling", "eno1", "leaf-r12-a Ethernet14", "leaf-r12-a.dc1 Ethernet12")
    ]


SUPERMICRO_UUID = "00000000-0000-0000-0000-ac1f6b4e3a10"


@pytest.fixture
def supermicro_flavor_and_plan():
    for nic, switch, port in (
        ("eno1", "qfx5120-r03", "xe-0/0/14"),
        ("eno2", "2c:ea:7f:81:55:10", "2c:ea:7f:81:55:1e"),
    ):
        CablingLink.objects.create(serial="C1160LK27A50123", nic=nic, switch=switch, port=port)
    return flavor(
        "storage-nvme",
        cpu_model_pattern="*Xeon* Silver 4214*",
        cpu_min_cores=24,
        disk_count=2,
        disk_kind="nvme",
        disk_min_gb=1900,
        nic_count=2,
        nic_min_speed_mbps=10000,
        firmware_minimums={"bios": "3.4", "bmc": "1.73"},
    )


def test_a_supermicro_matching_its_flavor_and_plan_passes(supermicro_flavor_and_plan, tmp_path):
    node = register(supermicro_1029u(), SUPERMICRO_UUID, supermicro_flavor_and_plan, tmp_path)
    assert differences(node) == []
    assert node.conformance_verdicts.get().passed


def test_a_missing_nvme_drive_on_the_supermicro(supermicro_flavor_and_plan, tmp_path):
    machine = supermicro_1029u().changed(lsblk=without_disk(supermicro_1029u().lsblk, "nvme1n1"))
    node = register(machine, SUPERMICRO_UUID, supermicro_flavor_and_plan, tmp_path)
    assert_held_with(
        node,
        [
            (
                "disk_missing",
                "disks",
                "2 × NVME of at least 1900 GB",
                "1 fitting (of nvme0n1 NVME 1.7 TiB, sda SSD 447.1 GiB)",
            )
        ],
    )


def test_a_batch_is_checked_in_the_same_statements_whatever_its_size(tmp_path):
    """A passing node costs no statement of its own: the check reads and writes per batch."""
    loose = flavor("loose", nic_link_required=False)  # no plan: a NIC without link is fine
    facts = registration_request(dell_r640(), tmp_path / "net").facts

    def batch(first: int, size: int) -> list[Subject]:
        nodes = [
            NodeFactory(uuid=str(UUID(int=index + 1)), flavor=loose, facts=facts)
            for index in range(first, first + size)
        ]
        return [Subject.of(node) for node in nodes]

    statements = []
    for nodes in (batch(0, 2), batch(100, 12)):
        with CaptureQueriesContext(connection) as queries:
            assert nodes_conformance_check(nodes=nodes, actor="agent") == set()
        statements.append(len(queries))
    assert statements[0] == statements[1]
    verdicts = ConformanceVerdict.objects.filter(latest=True, node__flavor=loose)
    assert verdicts.count() == verdicts.filter(passed=True).count() == 14
