"""The gRPC client: token metadata, per-call deadlines, retries with backoff on transient codes."""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass
from typing import Any

import grpc

from bearman_agent.errors import (
    AuthenticationFailed,
    ServerRefused,
    ServerUnavailable,
    UsageError,
    one_line,
)
from bearman_agent.output import warn
from bearman_agent.wire.bearman.v1 import agent_pb2, agent_pb2_grpc

DEFAULT_PORT = 50051
# Only a server that is down or slow may answer differently next time.
RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
AUTH_CODES = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
# Register may also be told "retry later": too many new machines registered just now.
REGISTER_RETRYABLE = (*RETRYABLE, grpc.StatusCode.RESOURCE_EXHAUSTED)
TOKEN = re.compile(r"^[\x21-\x7e]{1,4096}$")
SERVER = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(:(\d{1,5}))?$")
CHANNEL_OPTIONS = (
    # Our own retry loop decides; gRPC's transparent retries would hide the attempts.
    ("grpc.enable_retries", 0),
    # A server that comes back should be found within our backoff, not gRPC's default 1 s+.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a transient failure."""

    retries: int = 5
    base_delay: float = 0.5
    max_delay: float = 10.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter, so a rack of agents does not retry in step."""
        ceiling = min(self.base_delay * (2**attempt), self.max_delay)
        return ceiling * random.uniform(0.5, 1.0)


def parse_server(server: str) -> str:
    """A gRPC target `host:port` from `host`, `host:port` or `[v6]:port`; UsageError otherwise."""
    match = SERVER.match(server.strip())
    if not match or (match.group(3) and not 0 < int(match.group(3)) < 65536):
        raise UsageError(f"bad server address {server!r}: expected HOST or HOST:PORT")
    return f"{match.group(1)}:{match.group(3) or DEFAULT_PORT}"


def check_token(token: str) -> str:
    """The token, when it can travel in a gRPC header; UsageError otherwise."""
    if not token:
        raise UsageError("no token: pass --token or set BEARMAN_TOKEN")
    if not TOKEN.match(token):
        raise UsageError("bad token format: expected printable ASCII without spaces")
    return token


class AgentClient:
    """Calls AgentService on one server with one token."""

    def __init__(
        self,
        *,
        server: str,
        token: str,
        timeout: float = 10.0,
        retry: RetryPolicy = RetryPolicy(),
        tls: bool = False,
        ca_file: str | None = None,
    ) -> None:
        self.target = parse_server(server)
        self.token = check_token(token)
        self.timeout = timeout
        self.retry = retry
        self._channel = _open_channel(self.target, tls=tls, ca_file=ca_file)
        self._stub = agent_pb2_grpc.AgentServiceStub(self._channel)

    def with_token(self, token: str) -> AgentClient:
        """The same connection speaking with another token (the Baremetal's agent token)."""
        other = object.__new__(AgentClient)
        other.__dict__.update(self.__dict__, token=check_token(token))
        return other

    def with_retry(self, retry: RetryPolicy) -> AgentClient:
        """The same connection and token with another retry policy."""
        other = object.__new__(AgentClient)
        other.__dict__.update(self.__dict__, retry=retry)
        return other

    def close(self) -> None:
        """Close the channel."""
        self._channel.close()

    def register(self, facts: Any, agent_address: str, agent_version: str) -> Any:
        """Register: the node's canonical UUID and BMC settings."""
        request = agent_pb2.RegisterRequest(
            facts=facts, agent_address=agent_address, agent_version=agent_version
        )
        return self.call("Register", request, retryable=REGISTER_RETRYABLE)

    def get_ipxe(self, system_uuid: str) -> Any:
        """GetIpxe: the iPXE script the node gets now."""
        return self.call("GetIpxe", agent_pb2.GetIpxeRequest(system_uuid=system_uuid))

    def get_profile(self, system_uuid: str) -> Any:
        """GetProfile: what to boot; moves the Baremetal to DEPLOYING."""
        return self.call("GetProfile", agent_pb2.GetProfileRequest(system_uuid=system_uuid))

    def get_detail(self, system_uuid: str) -> Any:
        """GetDetail: hostname and network settings."""
        return self.call("GetDetail", agent_pb2.GetDetailRequest(system_uuid=system_uuid))

    def report_installed(self, system_uuid: str) -> Any:
        """ReportInstalled: the Baremetal is INSTALLED."""
        request = agent_pb2.ReportInstalledRequest(system_uuid=system_uuid)
        return self.call("ReportInstalled", request)

    def report_failed(self, system_uuid: str, message: str, agent_address: str, phase: str) -> Any:
        """ReportFailed: what went wrong and where to SSH in."""
        request = agent_pb2.ReportFailedRequest(
            system_uuid=system_uuid, message=message, agent_address=agent_address, phase=phase
        )
        return self.call("ReportFailed", request)

    def report_progress(self, system_uuid: str, step: int) -> Any:
        """ReportProgress: a step of the run reached (a ProgressStep), for the timeline."""
        request = agent_pb2.ReportProgressRequest(system_uuid=system_uuid, step=step)
        return self.call("ReportProgress", request)

    def call(self, method: str, request: Any, retryable: tuple = RETRYABLE) -> Any:
        """One RPC with our metadata and deadline, retried on transient codes only."""
        rpc = getattr(self._stub, method)
        metadata = (("authorization", f"Bearer {self.token}"),)
        attempt = 0
        while True:
            try:
                return rpc(request, timeout=self.timeout, metadata=metadata)
            except grpc.RpcError as failure:
                if failure.code() not in retryable or attempt >= self.retry.retries:
                    raise _translate(method, self.target, failure, attempt + 1) from None
                delay = self.retry.delay(attempt)
                warn(f"{method}: {_describe(failure)}; retrying in {delay:.1f} s")
                time.sleep(delay)
                attempt += 1


def _open_channel(target: str, *, tls: bool, ca_file: str | None) -> Any:
    """An insecure channel, or a TLS one with the system's or the given roots."""
    if not tls and not ca_file:
        return grpc.insecure_channel(target, options=CHANNEL_OPTIONS)
    roots = None
    if ca_file:
        try:
            with open(ca_file, "rb") as handle:
                roots = handle.read()
        except OSError as problem:
            raise UsageError(f"cannot read CA file {ca_file}: {problem.strerror}") from None
    credentials = grpc.ssl_channel_credentials(root_certificates=roots)
    return grpc.secure_channel(target, credentials, options=CHANNEL_OPTIONS)


def _describe(failure: Any) -> str:
    """`CODE: details` on one line."""
    return one_line(f"{failure.code().name}: {failure.details() or 'no details'}")


def _translate(method: str, target: str, failure: Any, attempts: int) -> Exception:
    """Our error for a gRPC failure, saying which call, which server and what it said."""
    code = failure.code()
    if code in RETRYABLE:
        return ServerUnavailable(
            f"{method} to {target}: server unreachable after {attempts} attempt(s): "
            f"{_describe(failure)}"
        )
    if code in AUTH_CODES:
        return AuthenticationFailed(f"{method} to {target}: token rejected: {_describe(failure)}")
    return ServerRefused(f"{method} to {target}: {_describe(failure)}")
