"""The agent API over a real loopback port, against a real `manage.py run_grpc` process."""

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from bearman.models import Baremetal, Event, EventKind, Node
from bearman.services import baremetal_create
from bearman.states import DeployStatus, NodeStatus
from bearman_agent.wire.bearman.v1 import agent_pb2
from tests.factories import NodeFactory, ProfileFactory

from .conftest import ENROLL, PUBLIC_URL, bearer, register_request

pytestmark = pytest.mark.django_db(transaction=True)
UUID = "4c4c4544-0042-3510-8052-b3c04f4b4c32"
OTHER = "11111111-2222-3333-4444-555555555555"


def code_of(call) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value.code()


def test_register_creates_the_node_and_hands_out_its_bmc(agent, ipmi_pool):
    reply = agent.Register(register_request(UUID.upper()), metadata=ENROLL, timeout=10)
    assert reply.node_uuid == UUID
    bmc = reply.bmc
    assert bmc.address == "10.20.0.2" and bmc.prefix_length == 24
    assert (bmc.netmask, bmc.gateway, bmc.vlan) == ("255.255.255.0", "10.20.0.1", 120)
    assert bmc.username == "bearman" and len(bmc.password) >= 16
    node = Node.objects.get()
    assert (node.uuid, node.serial, node.status) == (UUID, "SN1", NodeStatus.REGISTERED)
    assert node.bmc_address == "10.20.0.2" and node.availability_zone == "az1"
    assert node.facts["nics"][0]["mac"] == "b8:ca:3a:00:00:01"
    assert "b8:ca:3a:00:00:01" in node.mac_addresses
    assert bmc.password not in node.bmc_password_encrypted
    event = node.events.get(kind=EventKind.REGISTERED)
    assert "10.10.0.50" in event.message and bmc.password not in event.message


def test_registering_again_keeps_address_and_credentials(agent, ipmi_pool):
    first = agent.Register(register_request(UUID), metadata=ENROLL, timeout=10)
    again = agent.Register(register_request(UUID, serial="SN2"), metadata=ENROLL, timeout=10)
    assert again.bmc == first.bmc
    assert Node.objects.get().serial == "SN2"
    assert Node.objects.count() == 1


def test_the_whole_baremetal_reaches_installed(agent, ipmi_pool):
    agent.Register(register_request(UUID), metadata=ENROLL, timeout=10)
    node = Node.objects.get()
    profile = ProfileFactory(
        append="console=ttyS0 id={uuid} at={bearman_url}", kernel_sha256="a" * 64
    )
    baremetal_create(node=node, profile=profile, hostname="web01.example.test", actor="alice")

    script = agent.GetIpxe(agent_pb2.GetIpxeRequest(system_uuid=UUID), metadata=ENROLL).script
    assert "bearman.mode=deploy" in script

    claimed = agent.GetProfile(agent_pb2.GetProfileRequest(system_uuid=UUID), metadata=ENROLL)
    assert claimed.kernel.url == profile.kernel_url and claimed.kernel.sha256 == "a" * 64
    assert claimed.append == f"console=ttyS0 id={UUID} at={PUBLIC_URL}"
    assert claimed.boot_method == agent_pb2.BOOT_METHOD_KEXEC
    assert claimed.hostname == "web01.example.test" and claimed.agent_token
    assert Baremetal.objects.get().status == DeployStatus.DEPLOYING
    assert claimed.agent_token not in Baremetal.objects.get().agent_token_hash

    token = bearer(claimed.agent_token)
    detail = agent.GetDetail(agent_pb2.GetDetailRequest(system_uuid=UUID), metadata=token)
    assert detail.hostname == "web01.example.test"
    agent.ReportInstalled(agent_pb2.ReportInstalledRequest(system_uuid=UUID), metadata=token)
    assert Baremetal.objects.get().status == DeployStatus.INSTALLED
    # The token was for one run: the same call again finds nothing to move.
    assert (
        code_of(
            lambda: agent.ReportInstalled(
                agent_pb2.ReportInstalledRequest(system_uuid=UUID), metadata=token
            )
        )
        == grpc.StatusCode.FAILED_PRECONDITION
    )


def test_a_failed_baremetal_is_unrecoverable_and_logged(agent, ipmi_pool):
    agent.Register(register_request(UUID), metadata=ENROLL, timeout=10)
    baremetal_create(
        node=Node.objects.get(),
        profile=ProfileFactory(),
        hostname="web02.example.test",
        actor="alice",
    )
    claimed = agent.GetProfile(agent_pb2.GetProfileRequest(system_uuid=UUID), metadata=ENROLL)
    agent.ReportFailed(
        agent_pb2.ReportFailedRequest(
            system_uuid=UUID,
            message="install.sh exited 2",
            agent_address="10.10.0.50",
            phase="deploy",
        ),
        metadata=bearer(claimed.agent_token),
    )
    baremetal = Baremetal.objects.get()
    assert baremetal.status == DeployStatus.UNRECOVERABLE_ERROR
    assert "install.sh exited 2" in baremetal.last_error and "10.10.0.50" in baremetal.last_error
    failure = Event.objects.get(kind=EventKind.FAILURE)
    assert "install.sh exited 2" in failure.message and "10.10.0.50" in failure.message


def test_a_failed_registration_marks_the_node_error(agent):
    agent.ReportFailed(
        agent_pb2.ReportFailedRequest(
            system_uuid=UUID,
            message="ipmitool: no BMC",
            agent_address="10.10.0.51",
            phase="register",
        ),
        metadata=ENROLL,
    )
    node = Node.objects.get()
    assert node.status == NodeStatus.ERROR
    assert "ipmitool: no BMC" in node.events.get(kind=EventKind.FAILURE).message


@pytest.mark.parametrize(
    ("call", "metadata", "expected"),
    [
        ("register_no_token", None, grpc.StatusCode.UNAUTHENTICATED),
        ("register_wrong_token", bearer("wrong"), grpc.StatusCode.UNAUTHENTICATED),
        ("register_bad_uuid", ENROLL, grpc.StatusCode.INVALID_ARGUMENT),
        ("register_bad_mac", ENROLL, grpc.StatusCode.INVALID_ARGUMENT),
        ("register_bad_address", ENROLL, grpc.StatusCode.INVALID_ARGUMENT),
        ("register_oversized", ENROLL, grpc.StatusCode.INVALID_ARGUMENT),
        ("profile_unknown_node", ENROLL, grpc.StatusCode.NOT_FOUND),
        ("profile_nothing_to_deploy", ENROLL, grpc.StatusCode.FAILED_PRECONDITION),
        ("detail_no_token", None, grpc.StatusCode.UNAUTHENTICATED),
        ("detail_unknown_token", bearer("nope"), grpc.StatusCode.UNAUTHENTICATED),
    ],
)
def test_error_codes(agent, ipmi_pool, call, metadata, expected):
    NodeFactory(uuid=UUID)
    requests = {
        "register_no_token": ("Register", register_request(UUID)),
        "register_wrong_token": ("Register", register_request(UUID)),
        "register_bad_uuid": ("Register", register_request("not-a-uuid")),
        "register_bad_mac": ("Register", _with_bad_mac()),
        "register_bad_address": ("Register", register_request(UUID, address="10.0.0.999")),
        "register_oversized": ("Register", register_request(UUID, serial="x" * 5000)),
        "profile_unknown_node": (
            "GetProfile",
            agent_pb2.GetProfileRequest(system_uuid="11111111-2222-3333-4444-555555555555"),
        ),
        "profile_nothing_to_deploy": ("GetProfile", agent_pb2.GetProfileRequest(system_uuid=UUID)),
        "detail_no_token": ("GetDetail", agent_pb2.GetDetailRequest(system_uuid=UUID)),
        "detail_unknown_token": ("GetDetail", agent_pb2.GetDetailRequest(system_uuid=UUID)),
    }
    method, request = requests[call]
    before = (Node.objects.count(), Event.objects.count())
    assert (
        code_of(lambda: getattr(agent, method)(request, metadata=metadata, timeout=10)) == expected
    )
    assert (Node.objects.count(), Event.objects.count()) == before


def _with_bad_mac():
    request = register_request(UUID)
    request.facts.nics[0].mac = "zz:zz"
    return request


def test_a_token_for_another_node_is_permission_denied(agent, ipmi_pool):
    other = "22222222-3333-4444-5555-666666666666"
    for uuid in (UUID, other):
        agent.Register(register_request(uuid), metadata=ENROLL, timeout=10)
    baremetal_create(
        node=Node.objects.get(uuid=other),
        profile=ProfileFactory(),
        hostname="other.example.test",
        actor="alice",
    )
    claimed = agent.GetProfile(agent_pb2.GetProfileRequest(system_uuid=other), metadata=ENROLL)
    code = code_of(
        lambda: agent.GetDetail(
            agent_pb2.GetDetailRequest(system_uuid=UUID), metadata=bearer(claimed.agent_token)
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED


def test_a_full_pool_is_resource_exhausted(agent, tiny_ipmi_pool):
    agent.Register(register_request(UUID), metadata=ENROLL, timeout=10)
    code = code_of(
        lambda: agent.Register(
            register_request("33333333-4444-5555-6666-777777777777"), metadata=ENROLL, timeout=10
        )
    )
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert Node.objects.count() == 1


def test_reflection_lists_the_agent_service(grpc_target):
    with grpc.insecure_channel(grpc_target) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        reply = next(stub.ServerReflectionInfo(iter([request]), timeout=10))
    names = {service.name for service in reply.list_services_response.service}
    assert {"bearman.v1.AgentService", "grpc.health.v1.Health"} <= names
