"""The rules on odd facts and odd expectations: a difference each, never an error."""

from bearman.models import Flavor
from bearman.services.cabling import ExpectedLink
from bearman.services.conformance import node_differences


def kinds(flavor, facts, links=None) -> list[tuple[str, str, str]]:
    found = node_differences(flavor=flavor, facts=facts, links=links or {})
    return [(d.kind.value, d.component, d.found) for d in found]


def test_facts_of_the_wrong_shape_are_differences_not_errors():
    flavor = Flavor(
        name="f",
        cpu_model_pattern="*Xeon*",
        cpu_min_cores=8,
        memory_gib=64,
        disk_count=1,
        nic_count=1,
        firmware_minimums={"bios": "1.0", "bmc": "1.0", "nic": "1.0"},
    )
    facts = {
        "cpu": "fast",
        "memory_bytes": "lots",
        "disks": {"sda": 1},
        "nics": [7, {"name": "eno1", "firmware": ["x"]}],
        "bmc": None,
    }
    assert kinds(flavor, facts) == [
        ("cpu", "cpu_model", "not reported"),
        ("cpu", "cpu_cores", "not reported"),
        ("memory", "memory", "not reported"),
        ("disk_missing", "disks", "0 fitting, no disks"),
        ("version_not_understood", "bios", "not reported"),
        ("version_not_understood", "bmc", "not reported"),
        ("version_not_understood", "nic:eno1", "not reported"),
    ]
    assert kinds(flavor, "not a dict")[0] == ("cpu", "cpu_model", "not reported")


def test_a_pattern_stored_past_validation_is_a_difference():
    flavor = Flavor(name="f", cpu_model_pattern="/Gold (62/")
    assert kinds(flavor, {"cpu": {"model": "Intel Xeon Gold 6230"}}) == [
        ("cpu", "cpu_model", "Intel Xeon Gold 6230")
    ]


def test_a_planned_nic_the_agent_did_not_report_and_one_without_a_neighbour():
    links = {"eno1": ExpectedLink("leaf1", "Ethernet1"), "eno9": ExpectedLink("leaf1", "Ethernet9")}
    facts = {"nics": [{"name": "eno1", "link": True, "lldp": {}}]}
    assert kinds(None, facts, links) == [
        ("cabling", "eno1", "no LLDP neighbour"),
        ("cabling", "eno9", "NIC not reported"),
    ]
