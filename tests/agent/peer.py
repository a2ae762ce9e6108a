"""A test double of the remote peer: Bearman's AgentService on a real loopback port.

It answers from canned messages, checks the bearer token the way the server's contract says,
records every call, and can be told to fail a call with a given status code. The agent under
test is the real `bearman-cli`; only the other end of the wire is a stand-in.
"""

from __future__ import annotations

import threading
import time
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc

from bearman_agent.wire.bearman.v1 import agent_pb2, agent_pb2_grpc

ENROLLMENT_TOKEN = "enroll-7f3a9c"
AGENT_TOKEN = "agent-51d2e8"
BMC_PASSWORD = "Xq9-secret-pw"
# The calls each token may make, as protos/bearman/v1/agent.proto says.
ALLOWED = {
    ENROLLMENT_TOKEN: {"Register", "GetIpxe", "GetProfile", "ReportFailed"},
    AGENT_TOKEN: {"GetDetail", "ReportInstalled", "ReportFailed"},
}


@dataclass
class Call:
    """One call the agent made."""

    method: str
    request: Any
    token: str


@dataclass
class Fault:
    """Fail a call with a code, or answer it only after a delay."""

    code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE
    message: str = "injected"
    delay: float = 0.0


def default_bmc() -> Any:
    """BMC settings as IPman would hand them out."""
    return agent_pb2.BmcSettings(
        address="10.20.0.57",
        prefix_length=24,
        netmask="255.255.255.0",
        gateway="10.20.0.1",
        vlan=120,
        username="bearman",
        password=BMC_PASSWORD,
        channel=1,
        user_id=3,
    )


def default_detail() -> Any:
    """A deployment's detail with a bond and two addresses."""
    return agent_pb2.GetDetailResponse(
        hostname="compute-017",
        addresses=[
            agent_pb2.InterfaceAddress(
                interface="bond0",
                address="10.30.4.17",
                prefix_length=24,
                gateway="10.30.4.1",
                vlan=0,
                pool="service-az1",
            ),
            agent_pb2.InterfaceAddress(
                interface="bond0.200",
                address="10.40.4.17",
                prefix_length=22,
                vlan=200,
                pool="storage-az1",
            ),
        ],
        bond=agent_pb2.Bond(mode="802.3ad", options="miimon=100", members=["eno1", "eno2"]),
        dns_servers=["10.0.0.53", "10.0.1.53"],
        vlan=0,
    )


@dataclass
class RecordingAgentService(agent_pb2_grpc.AgentServiceServicer):
    """Canned answers, token checks, recorded calls and injected faults."""

    bmc: Any = field(default_factory=default_bmc)
    profile: Any = field(default_factory=agent_pb2.GetProfileResponse)
    detail: Any = field(default_factory=default_detail)
    ipxe_script: str = "#!ipxe\nchain http://bearman.test/ipxe/boot-register\n"
    calls: list[Call] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, method: str, *faults: Fault) -> None:
        """Make the next calls of method meet these faults, one per call."""
        self.faults.setdefault(method, []).extend(faults)

    def methods(self) -> list[str]:
        """The methods called, in order."""
        return [call.method for call in self.calls]

    def only(self, method: str) -> Call:
        """The single call of method."""
        matching = [call for call in self.calls if call.method == method]
        assert len(matching) == 1, f"{method} called {len(matching)} times: {self.methods()}"
        return matching[0]

    def _enter(self, method: str, request: Any, context: Any) -> None:
        """Record the call, then apply a fault or the token check."""
        token = _bearer(context)
        with self.lock:
            self.calls.append(Call(method, request, token))
            pending = self.faults.get(method) or []
            fault = pending.pop(0) if pending else None
        if fault is not None:
            time.sleep(fault.delay)
            if fault.delay == 0:
                context.abort(fault.code, fault.message)
        if token not in ALLOWED:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "unknown token")
        if method not in ALLOWED[token]:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, f"this token may not call {method}")

    def Register(self, request, context):
        self._enter("Register", request, context)
        if not request.facts.system_uuid:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "facts.system_uuid is required")
        return agent_pb2.RegisterResponse(node_uuid=request.facts.system_uuid, bmc=self.bmc)

    def GetIpxe(self, request, context):
        self._enter("GetIpxe", request, context)
        return agent_pb2.GetIpxeResponse(script=self.ipxe_script)

    def GetProfile(self, request, context):
        self._enter("GetProfile", request, context)
        return self.profile

    def GetDetail(self, request, context):
        self._enter("GetDetail", request, context)
        return self.detail

    def ReportInstalled(self, request, context):
        self._enter("ReportInstalled", request, context)
        return agent_pb2.ReportInstalledResponse()

    def ReportFailed(self, request, context):
        self._enter("ReportFailed", request, context)
        return agent_pb2.ReportFailedResponse()


def _bearer(context: Any) -> str:
    """The token of `authorization: Bearer <token>`, "" without one."""
    for key, value in context.invocation_metadata():
        if key == "authorization" and value.startswith("Bearer "):
            return value[len("Bearer ") :]
    return ""


def serve(service: RecordingAgentService, credentials: Any = None) -> tuple[Any, str]:
    """Start the service on a free loopback port, TLS with credentials: (server, "127.0.0.1:P")."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    agent_pb2_grpc.add_AgentServiceServicer_to_server(service, server)
    if credentials is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    return server, f"127.0.0.1:{port}"
