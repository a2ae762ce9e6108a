import pytest
from django.core.exceptions import ValidationError

from bearman import facts
from tests.factories import sample_facts


def test_readable_summaries_of_a_real_looking_machine():
    sample = sample_facts(7)
    assert facts.fact_cpu(sample) == (
        "2 × Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz (40 cores, 80 threads)"
    )
    assert facts.fact_memory(sample) == "384.0 GiB"
    nic = facts.fact_nics(sample)[0]
    assert nic == {
        "name": "eno1",
        "mac": "b8:ca:3a:00:00:07",
        "speed": "25 Gb/s",
        "link": "up",
        "switch": "tor-r12-a",
        "port": "Ethernet12",
        "port_description": "r12-node07 eno1",
    }
    assert facts.fact_disks(sample)[0]["size"] == "894.3 GiB"
    assert facts.fact_firmware(sample) == {
        "bios_version": "2.19.1",
        "bmc_firmware": "iDRAC 6.10.30.00",
    }


def test_macs_are_collected_normalised_and_once():
    sample = {
        "nics": [{"mac": "AA-BB-CC-DD-EE-FF"}, {"mac": "aa:bb:cc:dd:ee:ff"}, {"mac": "garbage"}],
        "bmc": {"mac": "00:11:22:33:44:55"},
    }
    assert facts.fact_macs(sample) == ["aa:bb:cc:dd:ee:ff", "00:11:22:33:44:55"]


def test_odd_facts_show_what_is_there_without_failing():
    odd = {
        "cpu": "x",
        "nics": [None, {"name": "eth0", "speed_mbps": "fast"}],
        "disks": {},
        "memory_bytes": -1,
        "firmware": ["?"],
    }
    assert facts.fact_cpu(odd) == ""
    assert facts.fact_nics(odd)[0]["name"] == "eth0"
    assert facts.fact_nics(odd)[0]["speed"] == ""
    assert facts.fact_disks(odd) == []
    assert facts.fact_memory(odd) == ""
    assert facts.fact_firmware(odd) == {}
    assert facts.fact_macs("not a dict") == []


def test_facts_up_to_their_bounds_are_kept():
    sample = sample_facts(1)
    sample["nics"] = sample["nics"] * facts.MAX_FACT_NICS
    sample["disks"] = sample["disks"] * facts.MAX_FACT_DISKS
    facts.validate_facts_limits(sample)
    assert facts.facts_size(sample) < facts.MAX_FACTS_BYTES / 2


@pytest.mark.parametrize(
    ("key", "count", "says"),
    [
        ("nics", facts.MAX_FACT_NICS + 1, "facts.nics has more than 128 entries"),
        ("disks", facts.MAX_FACT_DISKS + 1, "facts.disks has more than 512 entries"),
    ],
)
def test_one_entry_past_a_list_bound_is_refused(key, count, says):
    sample = sample_facts(1)
    sample[key] = sample[key][:1] * count
    with pytest.raises(ValidationError, match=says):
        facts.validate_facts_limits(sample)


def test_facts_past_the_total_size_are_refused_counting_utf8_bytes():
    sample = sample_facts(1)
    padding = facts.MAX_FACTS_BYTES - facts.facts_size(sample)
    sample["firmware"]["notes"] = "x" * (padding - len(',"notes":""'))
    facts.validate_facts_limits(sample)  # exactly at the bound
    sample["firmware"]["notes"] = "é" * (len(sample["firmware"]["notes"]) // 2 + 1)
    with pytest.raises(ValidationError, match="more than the 262144"):
        facts.validate_facts_limits(sample)
