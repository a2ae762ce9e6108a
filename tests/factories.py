"""factory_boy factories for Bearman's records, with realistic hardware facts."""

import factory

from bearman.facts import fact_macs
from bearman.models import Baremetal, Flavor, Node, Profile


def sample_facts(index: int = 0) -> dict:
    return {
        "cpu": {
            "model": "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
            "sockets": 2,
            "cores": 40,
            "threads": 80,
        },
        "memory_bytes": 384 * 1024**3,
        "disks": [
            {
                "name": "sda",
                "model": "SAMSUNG MZ7LH960",
                "serial": f"S45NNA0{index:05d}",
                "size_bytes": 960197124096,
                "rotational": False,
            },
        ],
        "nics": [
            {
                "name": "eno1",
                "mac": f"b8:ca:3a:{index >> 16 & 255:02x}:{index >> 8 & 255:02x}:{index & 255:02x}",
                "speed_mbps": 25000,
                "link": True,
                "lldp": {
                    "chassis_id": "00:1c:73:aa:bb:cc",
                    "system_name": "tor-r12-a",
                    "port_id": "Ethernet12",
                    "port_description": "r12-node07 eno1",
                },
            },
        ],
        "bmc": {
            "mac": f"b8:ca:3b:{index >> 16 & 255:02x}:{index >> 8 & 255:02x}:{index & 255:02x}",
            "firmware": "iDRAC 6.10.30.00",
        },
        "firmware": {"bios_version": "2.19.1"},
    }


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    name = factory.Sequence(lambda n: f"ubuntu-24-04-{n}")
    kernel_url = "http://images.example.test/noble/vmlinuz"
    initrd_url = "http://images.example.test/noble/initrd"
    append = "console=ttyS0,115200n8 ip=dhcp"
    install_script = "#!/bin/sh\nset -e\necho installing\n"


class FlavorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flavor

    name = factory.Sequence(lambda n: f"compute-{n}")
    default_profile = factory.SubFactory(ProfileFactory)


class NodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Node

    uuid = factory.Faker("uuid4")
    serial = factory.Sequence(lambda n: f"SN{n:07d}")
    vendor = "Dell Inc."
    product_name = "PowerEdge R640"
    availability_zone = "az1"
    bmc_address = factory.Sequence(lambda n: f"10.1.{n // 250}.{n % 250 + 2}")
    bmc_username = "bearman"
    facts = factory.Sequence(sample_facts)
    mac_addresses = factory.LazyAttribute(lambda node: " ".join(fact_macs(node.facts)))


class BaremetalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Baremetal

    node = factory.SubFactory(NodeFactory)
    profile = factory.SubFactory(ProfileFactory)
    hostname = factory.Sequence(lambda n: f"node{n:04d}.r12.example.test")
