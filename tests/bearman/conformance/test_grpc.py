"""Register over gRPC (a real `manage.py run_grpc` on a loopback port) with facts of a real
HPE DL380 Gen10's tools that break two rules: the node is held with both differences and
one notice; waivers and a re-check put it back on its way to READY."""

import pytest

from bearman.models import Node, Notice, NoticeKind
from bearman.services.conformance import conformance_waive, node_conformance_recheck
from bearman.states import NodeStatus
from bearman_agent.convert import facts_to_proto
from bearman_agent.wire.bearman.v1 import agent_pb2
from tests.bearman.grpc.conftest import ENROLL, agent, grpc_target  # noqa: F401 - fixtures
from tests.factories import NodeFactory

from .conftest import HPE_UUID, differences
from .machines import agent_facts, hpe_dl380

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("ipmi_pool")]


def test_a_registration_over_grpc_that_breaks_two_rules_is_held_with_both(
    agent,  # noqa: F811 - the fixture
    hpe_flavor,
    hpe_plan,
    tmp_path,
):
    hpe_flavor.firmware_minimums = {"bmc": "2.80"}  # iLO 5 2.78 is older
    hpe_flavor.save()
    NodeFactory(uuid=HPE_UUID, serial="", flavor=hpe_flavor, facts={}, bmc_address=None)
    machine = hpe_dl380().nic_changed("ens1f1", speed_mbps=10000)  # a 10G optic in a 25G port
    facts = agent_facts(machine, tmp_path / "net")

    reply = agent.Register(
        agent_pb2.RegisterRequest(
            facts=facts_to_proto(facts), agent_address="10.10.0.9", agent_version="0.1.0"
        ),
        metadata=ENROLL,
        timeout=20,
    )

    assert reply.bmc.address  # the agent still sets its BMC up and powers off
    node = Node.objects.get(uuid=HPE_UUID)
    assert node.status == NodeStatus.MAINTENANCE
    assert differences(node) == [
        ("nic_slow", "ens1f1", "at least 25 Gb/s", "10 Gb/s"),
        ("firmware_needs_update", "bmc", "2.80 or newer", "2.78"),
    ]
    (notice,) = Notice.objects.filter(node=node)
    assert notice.kind == NoticeKind.CONFORMANCE_FAILED
    assert "NIC too slow (ens1f1): expected at least 25 Gb/s, found 10 Gb/s" in notice.message
    assert "Firmware needs update (bmc): expected 2.80 or newer, found 2.78" in notice.message

    for kind, component in (("nic_slow", "ens1f1"), ("firmware_needs_update", "bmc")):
        conformance_waive(node=node, kind=kind, component=component, reason="ok", actor="ana")
    assert node_conformance_recheck(node=node, actor="ana").passed
    node.refresh_from_db()
    assert node.status == NodeStatus.REGISTERED
