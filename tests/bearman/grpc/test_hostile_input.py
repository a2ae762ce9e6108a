"""What a stranger on the provisioning network can send: refused cleanly, logged safely.

A real `run_grpc` process of its own, so each test reads the log lines its calls wrote.
"""

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bearman.models import Event, Node
from bearman.services.notices import notices_flush
from bearman_agent.wire.bearman.v1 import agent_pb2, agent_pb2_grpc
from tests.bearman.operations.conftest import webhook  # noqa: F401 - the Slack stand-in

from .conftest import ENROLL, register_request, start_server, stop_server

pytestmark = pytest.mark.django_db(transaction=True)
UUID = "4c4c4544-0042-3510-8052-b3c04f4b4c32"
FORGED = "2026-12-06 06:00:00,000 INFO bearman.grpc grpc method=Register code=OK"
SERVICE = "/bearman.v1.AgentService/"


class Server:
    def __init__(self, process, target):
        self.process, self.target = process, target
        self.read = 0

    def new_log(self) -> str:
        """What the server logged since the last look."""
        data = self.process.log_path.read_bytes()
        fresh, self.read = data[self.read :], len(data)
        return fresh.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        process, target = start_server()
    yield Server(process, target)
    stop_server(process)


@pytest.fixture
def agent(server):
    server.new_log()
    with grpc.insecure_channel(server.target) as channel:
        yield agent_pb2_grpc.AgentServiceStub(channel)


def code_of(call, *args, **kwargs) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call(*args, timeout=20, **kwargs)
    return raised.value


def nothing_stored():
    return not Node.objects.exists() and not Event.objects.exists()


# Finding 5: logs carry only validated identifiers.


def test_register_logs_its_node_uuid_in_canonical_form(agent, server, ipmi_pool):
    agent.Register(register_request(UUID.upper()), metadata=ENROLL, timeout=20)
    assert f"grpc method=Register code=OK uuid={UUID} " in server.new_log()


@pytest.mark.parametrize("method", ["GetIpxe", "GetProfile", "GetDetail", "ReportInstalled"])
def test_a_forged_log_line_in_a_uuid_stays_one_escaped_line(agent, server, method):
    request = getattr(agent_pb2, f"{method}Request")(system_uuid=f"x\n{FORGED}")
    code_of(getattr(agent, method), request)
    log = server.new_log()
    assert not any(line.startswith(FORGED) for line in log.splitlines()), log
    assert f"method={method} code=" in log
    assert "uuid=<invalid 'x\\n2026-12-06 06:00:00,000 INFO bearman.g'...(72 chars)>" in log


def test_a_register_uuid_is_escaped_too(agent, server):
    request = register_request("\u202egnp.exe\r" + FORGED)
    assert code_of(agent.Register, request, metadata=ENROLL).code() == (
        grpc.StatusCode.INVALID_ARGUMENT
    )
    log = server.new_log()
    assert "uuid=<invalid '\\u202egnp.exe\\r2026-12-06" in log
    assert FORGED not in log and "\u202e" not in log


def test_a_4_mib_uuid_is_refused_by_grpc_and_not_logged(agent, server):
    # Just under grpcio's default limit, which let it through to the log before.
    huge = "A" * (4 * 1024 * 1024 - 64)
    error = code_of(agent.GetIpxe, agent_pb2.GetIpxeRequest(system_uuid=huge))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert len(server.new_log()) < 1024


def test_a_long_uuid_under_the_limit_is_logged_cut_short(agent, server):
    long = "B" * 300_000
    error = code_of(agent.GetDetail, agent_pb2.GetDetailRequest(system_uuid=long))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    log = server.new_log()
    assert f"uuid=<invalid '{'B' * 40}'...(300000 chars)>" in log
    assert len(log) < 1024


# Finding 6: undecodable requests are INVALID_ARGUMENT, without a traceback.

UNDECODABLE = {
    "invalid UTF-8 in a string": b"\x0a\x02\xc3\x28",
    "truncated varint": b"\x18\xff\xff",
    "length past the end": b"\x0a\x7fabc",
    "invalid wire type": b"\xff\xff\xff\xff\x0f",
    "random bytes": bytes.fromhex("9c7f02b1e4d3a6ff10c2"),
}


@pytest.mark.parametrize("method", ["Register", "GetIpxe", "GetDetail", "ReportFailed"])
@pytest.mark.parametrize("payload", UNDECODABLE.values(), ids=UNDECODABLE)
def test_undecodable_bytes_are_invalid_argument_without_traceback(agent, server, method, payload):
    with grpc.insecure_channel(server.target) as channel:
        call = channel.unary_unary(SERVICE + method)  # no serializer: the bytes as they are
        error = code_of(call, payload, metadata=ENROLL)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid protobuf message" in error.details()
    log = server.new_log()
    assert "Traceback" not in log and "Exception deserializing" not in log
    assert f"grpc method={method} code=INVALID_ARGUMENT uuid=- " in log
    assert nothing_stored()


def test_invalid_utf8_deep_in_register_facts_is_invalid_argument(agent, server):
    facts = b"\x0a\x02\xc3\x28"  # Facts.system_uuid, not UTF-8
    payload = b"\x0a" + bytes([len(facts)]) + facts
    with grpc.insecure_channel(server.target) as channel:
        error = code_of(channel.unary_unary(SERVICE + "Register"), payload, metadata=ENROLL)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Traceback" not in server.new_log()


@pytest.mark.parametrize(
    "method",
    [
        "/grpc.health.v1.Health/Check",
        "/grpc.health.v1.Health/Watch",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    ],
)
def test_health_and_reflection_refuse_undecodable_bytes_too(server, method):
    server.new_log()
    payload = UNDECODABLE["truncated varint"]
    with grpc.insecure_channel(server.target) as channel:
        if method.endswith("Check"):
            error = code_of(channel.unary_unary(method), payload)
        elif method.endswith("Watch"):
            error = code_of(lambda **kw: next(channel.unary_stream(method)(payload, **kw)))
        else:
            error = code_of(lambda **kw: next(channel.stream_stream(method)(iter([payload]), **kw)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Traceback" not in server.new_log()


def test_health_still_watches_through_the_interceptor(server):
    with grpc.insecure_channel(server.target) as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(), timeout=10
        )
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        watch.cancel()


# Finding 7 (NIC names): interface names as the Linux kernel allows them.

BAD_NIC_NAMES = [
    "eth0\nchain http://evil/",
    "",
    ".",
    "..",
    "eth0/1",
    "eth0:1",
    "eth 0",
    "eth0\t",
    "eth0\x0b",
    "x" * 16,
    "é" * 8,  # 16 bytes
    "eth\u00a0",  # no-break space: the kernel's isspace() counts byte 0xA0
    "à0",  # C3 A0: the same byte inside UTF-8
    "eth0\x00",
]


@pytest.mark.parametrize("name", BAD_NIC_NAMES, ids=ascii)
def test_nic_names_the_kernel_refuses_are_refused(agent, ipmi_pool, name):
    request = register_request(UUID)
    request.facts.nics[0].name = name
    error = code_of(agent.Register, request, metadata=ENROLL)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "facts.nics[0].name" in error.details() and "interface name" in error.details()
    assert "\n" not in error.details()
    assert nothing_stored()


@pytest.mark.parametrize("name", ["eno1", "enp59s0f1np1", "x" * 15, "é" * 7, "eth0.100", "a"])
def test_nic_names_the_kernel_takes_are_stored(agent, ipmi_pool, name):
    request = register_request(UUID)
    request.facts.nics[0].name = name
    agent.Register(request, metadata=ENROLL, timeout=20)
    assert Node.objects.get().facts["nics"][0]["name"] == name


# Finding 7 (Slack): a failure the agent reports reaches the notice webhook as text.

HOSTILE_FAILURE = "disk full <!channel> see <http://evil.example|Click here> & <@U024BE7LH>"


def test_a_reported_failure_reaches_slack_as_text_not_markup(
    agent,
    ipmi_pool,
    webhook,  # noqa: F811 - the fixture imported above
):
    agent.Register(register_request(UUID, serial="SN<!here>"), metadata=ENROLL, timeout=20)
    agent.ReportFailed(
        agent_pb2.ReportFailedRequest(
            system_uuid=UUID, message=HOSTILE_FAILURE, agent_address="10.10.0.50"
        ),
        metadata=ENROLL,
        timeout=20,
    )

    assert notices_flush() == 1
    (post,) = webhook.posts
    text = post["text"]
    assert (
        "disk full &lt;!channel&gt; see &lt;http://evil.example|Click here&gt; &amp; "
        "&lt;@U024BE7LH&gt;" in text
    )
    assert "serial SN&lt;!here&gt;" in text
    assert "<!channel>" not in text and "<!here>" not in text and "<http://evil" not in text
    assert "<@U024BE7LH>" not in text
    assert "|admin>" in text  # Bearman's own link to the node stays a link


# Finding 8: facts are bounded; past a bound nothing is written.


def big_server(nics: int = 128, disks: int = 512, text: int = 0):
    """A register request of a large storage server; text > 0 pads every string to it."""
    request = register_request(UUID)
    pad = (lambda s: (s * text)[:text]) if text else (lambda s: s)
    del request.facts.nics[:]
    del request.facts.disks[:]
    for n in range(nics):
        request.facts.nics.add(
            name=f"enp{n}s0f{n % 4}"[:15],
            mac=f"b8:ca:3a:00:{n >> 8:02x}:{n & 255:02x}",
            speed_mbps=100000,
            link=True,
            lldp=agent_pb2.LldpNeighbor(
                chassis_id="00:1c:73:aa:bb:cc",
                system_name=pad("tor-r12-a.dc1.example.com"),
                port_id=pad("Ethernet12/1"),
                port_description=pad("r12-node07 uplink to spine"),
            ),
        )
    for n in range(disks):
        request.facts.disks.add(
            name=f"sd{n}",
            model=pad("HGST HUH721212AL5200"),
            serial=pad(f"8DGX{n:06d}"),
            size_bytes=12000138625024,
            rotational=True,
        )
    return request


def test_a_large_real_server_registers(agent, ipmi_pool):
    agent.Register(big_server(), metadata=ENROLL, timeout=30)
    facts = Node.objects.get().facts
    assert (len(facts["nics"]), len(facts["disks"])) == (128, 512)


@pytest.mark.parametrize(
    ("request_", "says"),
    [
        (big_server(nics=129, disks=1), "facts.nics has more than 128 entries"),
        (big_server(nics=1, disks=513), "facts.disks has more than 512 entries"),
        (big_server(nics=64, disks=400, text=256), "more than the 262144"),
    ],
    ids=["nics", "disks", "bytes"],
)
def test_facts_past_their_bounds_are_refused_and_nothing_is_written(
    agent, ipmi_pool, request_, says
):
    agent.Register(register_request(UUID), metadata=ENROLL, timeout=20)
    before = (Node.objects.get().facts, Event.objects.count())
    error = code_of(agent.Register, request_, metadata=ENROLL)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert says in error.details()
    assert (Node.objects.get().facts, Event.objects.count()) == before


def test_the_reported_flood_of_facts_is_refused_by_grpc(agent, ipmi_pool):
    # 512 NICs and 512 disks with every string as long as its field allows
    request = big_server(nics=512, disks=512, text=256)
    assert request.ByteSize() > 512 * 1024
    error = code_of(agent.Register, request, metadata=ENROLL)
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert nothing_stored()
