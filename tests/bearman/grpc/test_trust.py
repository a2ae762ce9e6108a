"""The enrollment token proves only "a machine of this site" (docs/security.md).

Over a real loopback port against a real `run_grpc` process: a known node past
registration is not re-registered unasked, a Baremetal claimed twice fails loudly, the
enrollment token cannot fail a READY node, and new registrations are rate-limited.
"""

from datetime import timedelta

import grpc
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from bearman.models import Baremetal, Event, EventKind, Node, Notice, NoticeKind
from bearman.services import baremetal_create
from bearman.states import DeployStatus, NodeStatus
from bearman_agent.errors import EXIT_REFUSED
from bearman_agent.wire.bearman.v1 import agent_pb2
from ipman.selectors import allocation_list
from tests.agent.conftest import run_cli
from tests.factories import ProfileFactory

from .conftest import ENROLL, ENROLLMENT, bearer, register_request, start_server, stop_server

pytestmark = pytest.mark.django_db(transaction=True)
UUID = "4c4c4544-0042-3510-8052-b3c04f4b4c32"


def refused(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value


def operator_api(django_user_model) -> APIClient:
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_superuser("root", "", "Pw-1-x"))
    return client


def ready_node(agent) -> tuple[Node, agent_pb2.RegisterResponse]:
    """A node registered by its own agent whose BMC answered: READY."""
    first = agent.Register(register_request(UUID), metadata=ENROLL, timeout=10)
    Node.objects.filter(uuid=UUID).update(status=NodeStatus.READY)
    return Node.objects.get(uuid=UUID), first


def attacker_request():
    """What an attacker on the provisioning network sends: the node's UUID, its own rest."""
    request = register_request(UUID, address="10.10.0.66", serial="EVIL")
    request.facts.nics[0].mac = "02:66:66:66:66:66"
    return request


def snapshot(node: Node) -> tuple:
    node.refresh_from_db()
    return (
        node.status,
        node.serial,
        node.bmc_address,
        node.bmc_username,
        node.bmc_password_encrypted,
        node.facts,
        node.mac_addresses,
        node.last_registered_at,
    )


# Finding 1 ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [NodeStatus.READY, NodeStatus.MAINTENANCE])
def test_a_known_node_registering_again_is_quarantined_not_overwritten(agent, ipmi_pool, status):
    node, first = ready_node(agent)
    Node.objects.filter(pk=node.pk).update(status=status)
    before = snapshot(node)

    error = refused(lambda: agent.Register(attacker_request(), metadata=ENROLL, timeout=10))

    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "registered already" in error.details() and "arm re-registration" in error.details()
    assert first.bmc.password not in error.details()
    assert snapshot(node) == before  # nothing overwritten: BMC, facts, NICs, status
    event = node.events.get(kind=EventKind.REGISTRATION_REFUSED)
    assert "127.0.0.1" in event.message and "10.10.0.66" in event.message
    assert event.data["peer_address"] == "127.0.0.1"
    notice = Notice.objects.get(node=node)
    assert notice.kind == NoticeKind.REGISTRATION_REFUSED and "127.0.0.1" in notice.message
    assert not node.events.filter(kind=EventKind.REGISTERED).exclude(pk__lt=event.pk).exists()


def test_a_registered_node_with_a_baremetal_is_quarantined_too(agent, ipmi_pool):
    agent.Register(register_request(UUID), metadata=ENROLL, timeout=10)
    node = Node.objects.get()
    baremetal_create(node=node, profile=ProfileFactory(), hostname="web01.example.test", actor="a")
    before = snapshot(node)
    error = refused(lambda: agent.Register(attacker_request(), metadata=ENROLL, timeout=10))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert snapshot(node) == before


def test_a_fresh_machine_retrying_its_registration_still_succeeds(agent, ipmi_pool):
    first = agent.Register(register_request(UUID), metadata=ENROLL, timeout=10)
    again = agent.Register(register_request(UUID), metadata=ENROLL, timeout=10)
    assert again.bmc == first.bmc and Node.objects.get().status == NodeStatus.REGISTERED


def test_an_armed_node_registers_again_once(agent, ipmi_pool, django_user_model):
    node, _ = ready_node(agent)
    api = operator_api(django_user_model)
    armed = api.post(f"/api/v1/nodes/{UUID}/rearm/")
    assert armed.status_code == 200 and armed.json()["reregistration_armed_until"]

    reply = agent.Register(attacker_request(), metadata=ENROLL, timeout=10)

    node.refresh_from_db()
    assert reply.bmc.address == node.bmc_address and node.serial == "EVIL"
    assert node.status == NodeStatus.REGISTERED  # its new BMC is checked before READY again
    assert node.reregistration_armed_until is None  # one-shot
    Node.objects.filter(pk=node.pk).update(status=NodeStatus.READY)
    error = refused(lambda: agent.Register(attacker_request(), metadata=ENROLL, timeout=10))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_an_expired_arming_lets_nothing_through(agent, ipmi_pool):
    node, _ = ready_node(agent)
    past = timezone.now() - timedelta(seconds=1)
    Node.objects.filter(pk=node.pk).update(reregistration_armed_until=past)
    before = snapshot(node)
    error = refused(lambda: agent.Register(attacker_request(), metadata=ENROLL, timeout=10))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert snapshot(node) == before


def test_the_real_agent_of_a_quarantined_node_exits_refused_and_stays_on(grpc_target, agent):
    from .pools import make_pool

    make_pool(name="prov-loopback", network="127.0.0.0/24", purpose="provisioning", zone="az1")
    make_pool(name="ipmi-az1", network="10.20.0.0/24", purpose="ipmi", zone="az1")
    ready_node(agent)

    # The whole flow as the first stage runs it, powering off included (dry run: printed).
    result = run_cli(
        "register",
        "--dry-run",
        "--lldp-wait",
        "0",
        "--server",
        grpc_target,
        "--token",
        ENROLLMENT,
        "--system-uuid",
        UUID,
        "--retries",
        "0",
        timeout=120,
    )

    assert result.returncode == EXIT_REFUSED, result.stderr
    assert "registered already" in result.stderr and "arm re-registration" in result.stderr
    assert "poweroff" not in result.stdout and "ipmitool" not in result.stdout
    assert Node.objects.get().status == NodeStatus.READY


# Finding 2 ----------------------------------------------------------------------------


def test_a_baremetal_claimed_twice_fails_loudly_naming_both_callers(agent, ipmi_pool):
    agent.Register(register_request(UUID), metadata=ENROLL, timeout=10)
    node = Node.objects.get()
    baremetal_create(node=node, profile=ProfileFactory(), hostname="web01.example.test", actor="a")
    get_profile = agent_pb2.GetProfileRequest(system_uuid=UUID)
    taken = agent.GetProfile(get_profile, metadata=ENROLL, timeout=10)  # the first caller
    assert Baremetal.objects.get().claimed_from == "127.0.0.1"

    error = refused(lambda: agent.GetProfile(get_profile, metadata=ENROLL, timeout=10))

    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "claimed twice" in error.details()
    baremetal = Baremetal.objects.get()
    assert baremetal.status == DeployStatus.UNRECOVERABLE_ERROR
    assert "first from 127.0.0.1, then from 127.0.0.1" in baremetal.last_error
    notice = Notice.objects.get(kind=NoticeKind.BAREMETAL_CLAIMED)
    assert "claimed twice" in notice.message
    failure = node.events.get(kind=EventKind.FAILURE)
    assert failure.data == {
        "phase": "claim",
        "first_claimant": "127.0.0.1",
        "second_claimant": "127.0.0.1",
    }
    # The first claimant's token is void: it cannot mark the Baremetal installed.
    installed = refused(
        lambda: agent.ReportInstalled(
            agent_pb2.ReportInstalledRequest(system_uuid=UUID),
            metadata=bearer(taken.agent_token),
            timeout=10,
        )
    )
    assert installed.code() == grpc.StatusCode.UNAUTHENTICATED
    assert Baremetal.objects.get().status == DeployStatus.UNRECOVERABLE_ERROR


@pytest.mark.parametrize("deployed", [False, True])
def test_the_enrollment_token_cannot_fail_a_node_past_registration(agent, ipmi_pool, deployed):
    node, _ = ready_node(agent)
    if deployed:
        baremetal_create(
            node=node, profile=ProfileFactory(), hostname="db1.example.test", actor="a"
        )
    events = Event.objects.count()
    error = refused(
        lambda: agent.ReportFailed(
            agent_pb2.ReportFailedRequest(
                system_uuid=UUID, message="disk on fire", agent_address="10.10.0.66"
            ),
            metadata=ENROLL,
            timeout=10,
        )
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    node.refresh_from_db()
    assert node.status == NodeStatus.READY
    assert Event.objects.count() == events and not Notice.objects.exists()


# Finding 4 ----------------------------------------------------------------------------


def register_many(target: str, uuids: list[str]) -> tuple[list, list]:
    replies, failures = [], []
    with grpc.insecure_channel(target) as channel:
        from bearman_agent.wire.bearman.v1 import agent_pb2_grpc

        stub = agent_pb2_grpc.AgentServiceStub(channel)
        for uuid in uuids:
            try:
                replies.append(stub.Register(register_request(uuid), metadata=ENROLL, timeout=30))
            except grpc.RpcError as error:
                failures.append((error.code(), error.details()))
    return replies, failures


FLOOD = [f"00000000-0000-4000-8000-{n:012d}" for n in range(8)]


@pytest.mark.parametrize(
    "limits, refused_words",
    [
        ({"BEARMAN_REGISTRATION_LIMIT_PER_SOURCE": "5"}, "from 127.0.0.1"),
        (
            {
                "BEARMAN_REGISTRATION_LIMIT_GLOBAL": "5",
                "BEARMAN_REGISTRATION_LIMIT_PER_SOURCE": "50",
            },
            "new machines registered in the last 60 s",
        ),
    ],
)
def test_new_registrations_past_a_limit_are_resource_exhausted(ipmi_pool, limits, refused_words):
    process, target = start_server(limits)
    try:
        replies, failures = register_many(target, FLOOD)
        # A known node registering again is never counted against the limit.
        again, _ = register_many(target, FLOOD[:1])
    finally:
        stop_server(process)
    assert len(replies) == 5 and len(again) == 1
    assert [code for code, _ in failures] == [grpc.StatusCode.RESOURCE_EXHAUSTED] * 3
    assert all("retry later" in words and refused_words in words for _, words in failures)
    assert sorted(Node.objects.values_list("uuid", flat=True)) == FLOOD[:5]  # nothing else
    assert len(allocation_list()) == 5


def test_the_zone_follows_the_peer_not_what_the_agent_reports(ipmi_pool, agent):
    from .pools import make_pool

    make_pool(name="prov-az2", network="127.0.0.0/24", purpose="provisioning", zone="az2")
    make_pool(name="ipmi-az2", network="10.22.0.0/24", purpose="ipmi", zone="az2")
    # It claims an address of az1's provisioning network; the connection says az2.
    reply = agent.Register(register_request(UUID, address="10.10.0.50"), metadata=ENROLL)
    assert reply.bmc.address.startswith("10.22.0.")
    assert Node.objects.get().availability_zone == "az2"


def test_approval_mode_keeps_new_machines_waiting_until_accepted(ipmi_pool, django_user_model):
    process, target = start_server({"BEARMAN_REGISTRATION_MODE": "approval"})
    try:
        _, waiting = register_many(target, [UUID])
        node = Node.objects.get()
        assert node.status == NodeStatus.DISCOVERED and node.bmc_address is None
        assert node.serial == "SN1" and node.created_from == "127.0.0.1"
        assert not allocation_list()  # no BMC address drawn for an unaccepted machine
        _, still = register_many(target, [UUID])
        accepted = operator_api(django_user_model).post(f"/api/v1/nodes/{UUID}/accept/")
        replies, _ = register_many(target, [UUID])
    finally:
        stop_server(process)
    assert [code for code, _ in waiting + still] == [grpc.StatusCode.FAILED_PRECONDITION] * 2
    assert "waits for an operator to accept it" in waiting[0][1]
    assert accepted.status_code == 200 and accepted.json()["status"] == "registered"
    node.refresh_from_db()
    assert replies[0].bmc.address == node.bmc_address == "10.20.0.2"
    assert node.status == NodeStatus.REGISTERED and node.reregistration_armed_until is None
    assert node.events.filter(kind=EventKind.DISCOVERED).count() == 1
