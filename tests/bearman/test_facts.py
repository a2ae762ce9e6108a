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
