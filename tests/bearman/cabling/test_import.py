import pytest

from bearman.models import CablingLink
from bearman.services.cabling_import import CablingPlanInvalid, cabling_plan_import
from tests.factories import NodeFactory

pytestmark = pytest.mark.django_db

PLAN = """serial,nic,switch,port
CZ2D1001,eno1,leaf-r12-a,Ethernet1
CZ2D1001,eno2,leaf-r12-b,Ethernet1
CZ2D1002,eno1,leaf-r12-a,Ethernet2
"""


def plan_rows():
    return sorted(CablingLink.objects.values_list("serial", "nic", "switch", "port"))


def refused(text: str) -> list[tuple[int, str]]:
    with pytest.raises(CablingPlanInvalid) as refusal:
        cabling_plan_import(data=text.encode(), dry_run=False)
    return refusal.value.problems


def test_an_import_creates_the_plan_rows():
    result = cabling_plan_import(data=PLAN.encode(), dry_run=False)

    assert result.counts == {"created": 3, "changed": 0, "unchanged": 0}
    assert plan_rows() == [
        ("CZ2D1001", "eno1", "leaf-r12-a", "Ethernet1"),
        ("CZ2D1001", "eno2", "leaf-r12-b", "Ethernet1"),
        ("CZ2D1002", "eno1", "leaf-r12-a", "Ethernet2"),
    ]


def test_a_dry_run_reports_the_changes_and_writes_nothing():
    cabling_plan_import(data=PLAN.encode(), dry_run=False)
    before = list(CablingLink.objects.values_list("pk", "switch", "port", "updated_at"))
    edited = PLAN.replace("eno2,leaf-r12-b,Ethernet1", "eno2,leaf-r12-b,Ethernet9")
    edited += "CZ2D1003,eno1,leaf-r13-a,Ethernet1\n"

    result = cabling_plan_import(data=edited.encode(), dry_run=True)

    assert result.dry_run
    assert result.counts == {"created": 1, "changed": 1, "unchanged": 2}
    (changed,) = result.changed
    assert (changed.line, changed.serial, changed.nic) == (3, "CZ2D1001", "eno2")
    assert (changed.old_port, changed.port) == ("Ethernet1", "Ethernet9")
    assert [(c.line, c.serial) for c in result.created] == [(5, "CZ2D1003")]
    assert list(CablingLink.objects.values_list("pk", "switch", "port", "updated_at")) == before


def test_an_upsert_changes_only_the_rows_that_changed():
    cabling_plan_import(data=PLAN.encode(), dry_run=False)
    other = CablingLink.objects.create(
        rack_position="dc1-r14-u01", nic="eno1", switch="leaf-r14-a", port="Ethernet1"
    )
    stamps = dict(CablingLink.objects.values_list("pk", "updated_at"))
    edited = PLAN.replace(
        "CZ2D1002,eno1,leaf-r12-a,Ethernet2", "CZ2D1002,eno1,leaf-r12-a,Ethernet7"
    )

    result = cabling_plan_import(data=edited.encode(), dry_run=False)

    assert result.counts == {"created": 0, "changed": 1, "unchanged": 2}
    moved = CablingLink.objects.get(serial="CZ2D1002", nic="eno1")
    assert moved.port == "Ethernet7"
    assert moved.updated_at > stamps[moved.pk]
    untouched = CablingLink.objects.exclude(pk=moved.pk)
    assert {link.pk: link.updated_at for link in untouched} == {
        pk: stamp for pk, stamp in stamps.items() if pk != moved.pk
    }
    assert CablingLink.objects.get(pk=other.pk).port == "Ethernet1"


def test_bad_rows_are_refused_with_their_line_numbers_and_nothing_is_written():
    cabling_plan_import(data=PLAN.encode(), dry_run=False)
    before = plan_rows()
    bad = (
        "serial,nic,switch,port\n"
        "CZ2D1001,eno1,leaf-r12-a,Ethernet5\n"  # a good change, not applied either
        "CZ2D1004,,leaf-r12-a,Ethernet6\n"
        "CZ2D1005,eth/0,leaf-r12-a,Ethernet7\n"
        "CZ2D1006,eno1,leaf-r12-a\n"
        'CZ2D1007,eno1,"leaf\nr12",Ethernet8\n'
        "CZ2D1008,eno1,leaf-r12-a," + "x" * 300 + "\n"
    )

    problems = refused(bad)

    assert [line for line, _ in problems] == [3, 4, 5, 6, 8]
    assert "nic is empty" in problems[0][1]
    assert "not a Linux interface name" in problems[1][1]
    assert "3 fields, the header has 4" in problems[2][1]
    assert "one line" in problems[3][1]
    assert "longer than 255" in problems[4][1]
    assert plan_rows() == before


def test_a_switch_port_already_cabled_to_another_nic_is_refused():
    cabling_plan_import(data=PLAN.encode(), dry_run=False)
    before = plan_rows()
    # Crossed: CZ2D1002's eno2 is planned on the port that is CZ2D1001's eno1.
    crossed = "serial,nic,switch,port\nCZ2D1002,eno2,leaf-r12-a,Ethernet1\n"

    (problem,) = refused(crossed)

    assert problem == (2, "switch leaf-r12-a port Ethernet1 is already cabled to CZ2D1001 eno1")
    assert plan_rows() == before


def test_duplicates_within_the_file_are_refused():
    twice = (
        "serial,nic,switch,port\n"
        "CZ2D1001,eno1,leaf-r12-a,Ethernet1\n"
        "CZ2D1001,eno1,leaf-r12-a,Ethernet2\n"
        "CZ2D1002,eno1,leaf-r12-a,Ethernet1\n"
    )

    assert refused(twice) == [
        (3, "CZ2D1001 eno1 is already on line 2"),
        (4, "switch leaf-r12-a port Ethernet1 is already on line 2"),
    ]
    assert plan_rows() == []


def test_two_nics_can_swap_ports_in_one_file():
    cabling_plan_import(data=PLAN.encode(), dry_run=False)
    swapped = (
        "serial,nic,switch,port\n"
        "CZ2D1001,eno1,leaf-r12-a,Ethernet2\n"
        "CZ2D1002,eno1,leaf-r12-a,Ethernet1\n"
    )

    result = cabling_plan_import(data=swapped.encode(), dry_run=False)

    assert result.counts == {"created": 0, "changed": 2, "unchanged": 0}
    assert ("CZ2D1001", "eno1", "leaf-r12-a", "Ethernet2") in plan_rows()
    assert ("CZ2D1002", "eno1", "leaf-r12-a", "Ethernet1") in plan_rows()


def test_a_browser_upload_with_a_bom_and_crlf_line_ends_is_accepted():
    data = b"\xef\xbb\xbf" + PLAN.replace("\n", "\r\n").encode()

    result = cabling_plan_import(data=data, dry_run=False)

    assert result.counts["created"] == 3
    assert [c.line for c in result.created] == [2, 3, 4]
    assert ("CZ2D1001", "eno1", "leaf-r12-a", "Ethernet1") in plan_rows()


def test_rows_may_name_nodes_by_rack_position():
    plan = "rack_position,nic,switch,port\ndc1-r12-u07,eno1,leaf-r12-a,Ethernet7\n"

    cabling_plan_import(data=plan.encode(), dry_run=False)

    link = CablingLink.objects.get()
    assert (link.rack_position, link.serial, link.port) == ("dc1-r12-u07", "", "Ethernet7")


@pytest.mark.parametrize(
    "header",
    [
        "serial,nic,switch",
        "serial,rack_position,nic,switch,port",
        "serial,nic,switch,port,comment",
        "host,nic,switch,port",
        "",
    ],
)
def test_a_file_without_the_documented_header_is_refused(header):
    (problem,) = refused(header + "\nCZ2D1001,eno1,leaf-r12-a,Ethernet1\n")

    assert problem[0] == 1
    assert "serial,nic,switch,port or rack_position,nic,switch,port" in problem[1]


def test_a_file_that_is_not_utf8_is_refused_with_its_line():
    data = PLAN.encode() + b"CZ2D1009,eno1,leaf-\xff,Ethernet3\n"

    with pytest.raises(CablingPlanInvalid) as refusal:
        cabling_plan_import(data=data, dry_run=False)

    assert refusal.value.problems == [(5, "not UTF-8 text")]


def test_a_nic_planned_under_the_nodes_serial_is_refused_under_its_rack_position():
    NodeFactory(serial="CZ2D1001", rack_position="dc1-r12-u07")
    cabling_plan_import(data=PLAN.encode(), dry_run=False)
    before = plan_rows()
    by_position = (
        "rack_position,nic,switch,port\n"
        "dc1-r12-u07,eno3,leaf-r12-a,Ethernet30\n"
        "dc1-r12-u07,eno1,leaf-r12-a,Ethernet31\n"
    )

    assert refused(by_position) == [
        (
            3,
            "dc1-r12-u07 eno1 is already planned under CZ2D1001, the same node: change or "
            "delete that row instead",
        )
    ]
    assert plan_rows() == before


def plan_of(rows: int, port_shift: int = 0) -> bytes:
    lines = ["serial,nic,switch,port"]
    lines += [
        f"N{i:05d},eno1,leaf-{i // 48},Ethernet{(i + port_shift) % 48 + 1}" for i in range(rows)
    ]
    return "\n".join(lines).encode()


@pytest.mark.parametrize("port_shift", [0, 1], ids=["created", "changed"])
def test_an_import_of_600_rows_takes_a_few_more_queries_than_one_of_6(port_shift):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for rows in (6, 600):
        CablingLink.objects.all().delete()
        if port_shift:
            cabling_plan_import(data=plan_of(rows), dry_run=False)
        with CaptureQueriesContext(connection) as queries:
            result = cabling_plan_import(data=plan_of(rows, port_shift), dry_run=False)
        assert result.counts["changed" if port_shift else "created"] == rows
        counts.append(len(queries.captured_queries))

    small, large = counts
    # Bulk statements by batches (SQLite's bound on parameters makes 142 rows an INSERT):
    # a few more statements for 100 times the rows, never one per row.
    assert large - small <= 600 // 100, counts
