"""Baremetals and their service addresses from IPman."""

import pytest

from bearman.models import Baremetal, Node, PowerOperation
from bearman.services import baremetal_create, baremetal_delete
from bearman.services.deploy_bulk import nodes_deploy_default
from ipman.models import Allocation
from tests.factories import FlavorFactory, NodeFactory
from tests.ipman.factories import PoolFactory

pytestmark = pytest.mark.django_db


def test_each_node_gets_its_own_service_address_and_gives_it_back_on_release():
    PoolFactory(name="svc", network="10.63.0.0/24", gateway="10.63.0.1")
    flavor = FlavorFactory(service_pools=["svc"])
    node = NodeFactory(flavor=flavor)
    profile = flavor.default_profile
    first = baremetal_create(node=node, profile=profile, hostname="a", actor="t")
    assert first.addresses[0]["interface"] == "eno1"  # the NIC with a link, no bond
    again = baremetal_create(
        node=NodeFactory(flavor=flavor), profile=profile, hostname="b", actor="t"
    )
    assert again.addresses[0]["address"] != first.addresses[0]["address"]
    baremetal_delete(baremetal=first, actor="t")
    assert Allocation.objects.count() == 1


def test_bulk_deploy_skips_a_node_whose_pool_is_full_and_names_it():
    PoolFactory(name="tiny", network="10.64.0.0/30", gateway="10.64.0.1")
    flavor = FlavorFactory(service_pools=["tiny"])
    first, second = NodeFactory(flavor=flavor, serial="S1"), NodeFactory(flavor=flavor, serial="S2")
    report = nodes_deploy_default(nodes=Node.objects.order_by("serial"), actor="t")
    assert report.deployed == [first.uuid]
    assert "tiny" in report.skipped[second.uuid]
    assert not Baremetal.objects.filter(node=second).exists()


def test_bulk_deploy_keeps_nothing_of_a_node_it_cannot_power_on_and_deploys_the_rest():
    PoolFactory(name="svc", network="10.65.0.0/24", gateway="10.65.0.1")
    flavor = FlavorFactory(service_pools=["svc"])
    nodes = [NodeFactory(flavor=flavor, serial=f"S{i}") for i in range(30)]
    no_bmc = nodes[3]
    Node.objects.filter(pk=no_bmc.pk).update(bmc_address=None)
    report = nodes_deploy_default(nodes=Node.objects.order_by("serial"), actor="t")
    assert sorted(report.deployed) == sorted(n.uuid for n in nodes if n != no_bmc)
    assert "has no BMC address" in report.skipped[no_bmc.uuid]
    assert not Baremetal.objects.filter(node=no_bmc).exists()
    assert Allocation.objects.count() == Baremetal.objects.count() == 29
    assert PowerOperation.objects.filter(node__in=nodes).count() == 29
