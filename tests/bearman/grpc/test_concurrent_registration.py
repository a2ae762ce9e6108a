"""One machine registering from many clients at once, across server processes."""

import threading

import grpc
import pytest

from bearman.models import Event, EventKind, Node
from bearman.states import NodeStatus
from bearman_agent.wire.bearman.v1 import agent_pb2, agent_pb2_grpc
from ipman.selectors import allocation_list

from .conftest import ENROLL, register_request, start_server, stop_server
from .pools import make_pool

pytestmark = pytest.mark.django_db(transaction=True)
UUID = "4c4c4544-0042-3510-8052-b3c04f4b4c32"
CLIENTS = 50


def register_at_once(target: str, uuids: list[str] | None = None):
    """A Register call for each of `uuids` (UUID 50 times), all leaving together;
    (replies, failure codes)."""
    uuids = uuids or [UUID] * CLIENTS
    replies, failures = [], []
    start = threading.Barrier(len(uuids))

    def register(uuid):
        with grpc.insecure_channel(target) as channel:
            stub = agent_pb2_grpc.AgentServiceStub(channel)
            grpc.channel_ready_future(channel).result(timeout=30)
            start.wait()  # connected: the calls leave together
            try:
                replies.append(stub.Register(register_request(uuid), metadata=ENROLL, timeout=60))
            except grpc.RpcError as error:
                failures.append((error.code(), error.details()))

    threads = [threading.Thread(target=register, args=(uuid,)) for uuid in uuids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return replies, failures


def test_fifty_concurrent_registrations_make_one_node_with_one_bmc_address(ipmi_pool):
    process, target = start_server(None, "--processes", "2")
    try:
        replies, failures = register_at_once(target)
    finally:
        stop_server(process)

    assert failures == []
    assert len(replies) == CLIENTS
    # Every client got the same BMC address and the same credentials.
    assert len({reply.bmc.SerializeToString() for reply in replies}) == 1
    node = Node.objects.get()
    assert node.uuid == UUID and node.bmc_address == replies[0].bmc.address
    assert [a.address for a in allocation_list(owner=f"node/{UUID}/ipmi")] == [node.bmc_address]
    assert Event.objects.filter(node=node, kind=EventKind.REGISTERED).count() == CLIENTS


def test_a_failed_machine_registering_from_fifty_clients_gets_one_set_of_credentials(db):
    """Known but without credentials (its first attempt failed): they are made once."""
    # ReportFailed records the machine in the default zone.
    make_pool(name="ipmi-default", network="10.40.0.0/24", purpose="ipmi", zone="default")
    process, target = start_server(None, "--processes", "2")
    try:
        with grpc.insecure_channel(target) as channel:
            agent_pb2_grpc.AgentServiceStub(channel).ReportFailed(
                agent_pb2.ReportFailedRequest(system_uuid=UUID, message="no BMC found"),
                metadata=ENROLL,
                timeout=10,
            )
        replies, failures = register_at_once(target)
    finally:
        stop_server(process)

    assert failures == []
    assert len({reply.bmc.SerializeToString() for reply in replies}) == 1
    node = Node.objects.get()
    assert node.status == NodeStatus.REGISTERED
    assert Event.objects.filter(node=node, kind=EventKind.NODE_STATUS).count() == 1


def test_a_storm_bigger_than_the_pool_answers_every_agent_on_its_own(db):
    """Registrations share transactions; a full pool refuses exactly those without room."""
    make_pool(name="ipmi-small", network="10.50.0.0/29", purpose="ipmi", zone="default")  # 6
    uuids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(14)]
    process, target = start_server(None, "--processes", "1")
    try:
        replies, failures = register_at_once(target, uuids)
    finally:
        stop_server(process)

    assert len(replies) == 6 and len({reply.bmc.address for reply in replies}) == 6
    assert [code for code, _ in failures] == [grpc.StatusCode.RESOURCE_EXHAUSTED] * 8
    # Each refused agent left nothing behind; each answered one holds what it was told.
    nodes = {node.uuid: node for node in Node.objects.all()}
    assert sorted(nodes) == sorted(reply.node_uuid for reply in replies)
    for reply in replies:
        assert nodes[reply.node_uuid].bmc_address == reply.bmc.address
    assert Event.objects.count() == 6
    assert len(allocation_list()) == 6
