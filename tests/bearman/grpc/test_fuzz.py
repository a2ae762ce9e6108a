"""Arbitrary fields and raw bytes against every method: documented codes, no half-done writes."""

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bearman.models import Baremetal, Event, Node
from bearman_agent.wire.bearman.v1 import agent_pb2

from .conftest import ENROLL, bearer

pytestmark = pytest.mark.django_db(transaction=True)

DOCUMENTED = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAVAILABLE,
}
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

texts = st.text(max_size=300)
uuids = st.one_of(texts, st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()))
macs = st.one_of(texts, st.from_regex(r"\A([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}\Z"))
addresses = st.one_of(texts, st.ip_addresses().map(str))
u32 = st.integers(min_value=0, max_value=2**32 - 1)
u64 = st.integers(min_value=0, max_value=2**64 - 1)
tokens = st.one_of(st.just(ENROLL), st.just(None), st.from_regex(r"\A[!-~]{1,60}\Z").map(bearer))

nics = st.builds(
    agent_pb2.Nic,
    name=texts,
    mac=macs,
    speed_mbps=u32,
    link=st.booleans(),
    lldp=st.builds(
        agent_pb2.LldpNeighbor,
        chassis_id=texts,
        system_name=texts,
        port_id=texts,
        port_description=texts,
    ),
)
facts = st.builds(
    agent_pb2.Facts,
    system_uuid=uuids,
    serial=texts,
    vendor=texts,
    product=texts,
    bios_version=texts,
    memory_bytes=u64,
    cpu=st.builds(agent_pb2.Cpu, model=texts, sockets=u32, cores=u32, threads=u32),
    disks=st.lists(
        st.builds(
            agent_pb2.Disk,
            name=texts,
            model=texts,
            serial=texts,
            size_bytes=u64,
            rotational=st.booleans(),
        ),
        max_size=3,
    ),
    nics=st.lists(nics, max_size=3),
    bmc=st.builds(agent_pb2.BmcInfo, mac=macs, firmware=texts),
)
REQUESTS = {
    "Register": st.builds(
        agent_pb2.RegisterRequest, facts=facts, agent_address=addresses, agent_version=texts
    ),
    "GetIpxe": st.builds(agent_pb2.GetIpxeRequest, system_uuid=uuids),
    "GetProfile": st.builds(agent_pb2.GetProfileRequest, system_uuid=uuids),
    "GetDetail": st.builds(agent_pb2.GetDetailRequest, system_uuid=uuids),
    "ReportInstalled": st.builds(agent_pb2.ReportInstalledRequest, system_uuid=uuids),
    "ReportFailed": st.builds(
        agent_pb2.ReportFailedRequest,
        system_uuid=uuids,
        message=st.text(max_size=10000),
        agent_address=addresses,
        phase=texts,
    ),
}


def snapshot():
    return (
        list(Node.objects.order_by("pk").values_list("uuid", "status", "updated_at")),
        Event.objects.count(),
        list(Baremetal.objects.order_by("pk").values_list("status", "agent_token_hash")),
    )


@pytest.mark.parametrize("method", sorted(REQUESTS))
def test_arbitrary_requests_get_only_documented_codes(agent, ipmi_pool, method):
    @FUZZ
    @given(request=REQUESTS[method], metadata=tokens)
    def fuzz(request, metadata):
        before = snapshot()
        try:
            getattr(agent, method)(request, metadata=metadata, timeout=20)
            code = grpc.StatusCode.OK
        except grpc.RpcError as error:
            code = error.code()
            assert error.details(), "an error without a message"
        assert code in DOCUMENTED, f"{method} answered {code}"
        if code != grpc.StatusCode.OK:
            assert snapshot() == before, f"{method} changed the database and failed ({code})"

    fuzz()


def raw_bytes(method: str):
    """Bytes that may not parse: random, or a valid request cut short or with a byte flipped."""
    encoded = REQUESTS[method].map(lambda request: request.SerializeToString())
    cut = st.tuples(encoded, st.integers(min_value=0)).map(
        lambda pair: pair[0][: pair[1] % (len(pair[0]) + 1)]
    )
    flipped = st.tuples(encoded, st.integers(min_value=0), st.integers(1, 255)).map(_flip)
    return st.one_of(st.binary(max_size=600), cut, flipped)


def _flip(triple) -> bytes:
    data, at, mask = triple
    if not data:
        return b"\xff"
    at %= len(data)
    return data[:at] + bytes([data[at] ^ mask]) + data[at + 1 :]


@pytest.mark.parametrize("method", sorted(REQUESTS))
def test_raw_bytes_get_only_documented_codes(grpc_target, ipmi_pool, method):
    with grpc.insecure_channel(grpc_target) as channel:
        # No serializers: the bytes go out as they are, decodable or not.
        call = channel.unary_unary(f"/bearman.v1.AgentService/{method}")

        @FUZZ
        @given(data=raw_bytes(method), metadata=tokens)
        def fuzz(data, metadata):
            before = snapshot()
            try:
                call(data, metadata=metadata, timeout=20)
                code = grpc.StatusCode.OK
            except grpc.RpcError as error:
                code = error.code()
                assert error.details(), "an error without a message"
            assert code in DOCUMENTED, f"{method} answered {code} to {data!r}"
            if code != grpc.StatusCode.OK:
                assert snapshot() == before, f"{method} changed the database and failed ({code})"

        fuzz()
