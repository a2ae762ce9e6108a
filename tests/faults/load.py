"""Load on a running Bearman, as its users make it: operators over the REST API, agents
over gRPC. Every answer is kept, so a fault's row says what was accepted and what not."""

import itertools
import random
import threading
import time
import uuid as uuids
from collections import deque
from dataclasses import dataclass

import grpc
import requests

from bearman_agent.wire.bearman.v1 import agent_pb2, agent_pb2_grpc

from .stack import ENROLLMENT, Stack

# Answers that tell a client clearly what happened and what to do (try later, or not).
CLEAR_GRPC = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED}
ENROLL = [("authorization", f"Bearer {ENROLLMENT}")]
NOTICE_NUMBERS = itertools.count(1)


@dataclass
class Answer:
    """One request and how it ended: accepted, refused with a clear error, or unclear."""

    kind: str  # "power", "register", "api", "notice"
    started: float
    ended: float
    outcome: str  # "accepted", "clear", "unclear"
    ref: str = ""  # the power operation's id, the node's UUID, the notice's message
    detail: str = ""
    node: str = ""  # a power request's node: what an unanswered one may have done is there


def http_outcome(response: requests.Response) -> tuple[str, str]:
    """2xx accepted; 503 with Retry-After, 409 and 429 are clear; anything else unclear."""
    code = response.status_code
    if 200 <= code < 300:
        return "accepted", ""
    if code == 503 and response.headers.get("Retry-After"):
        return "clear", "503 Retry-After"
    if code in (409, 429):
        return "clear", str(code)
    return "unclear", f"HTTP {code} {response.text[:120]!r}"


class Clients:
    """The calls the load is made of, each returning an Answer."""

    def __init__(self, stack: Stack, fresh_nodes: deque):
        self.stack, self.fresh_nodes = stack, fresh_nodes
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Token {stack.seed['token']}"
        self.channel = grpc.insecure_channel(stack.grpc_target)
        self.agent = agent_pb2_grpc.AgentServiceStub(self.channel)
        self.notice_tag, self.notice_size = "fault", 0

    def close(self) -> None:
        self.http.close()
        self.channel.close()

    def _http(self, kind: str, method: str, path: str, **kwargs) -> tuple[Answer, dict]:
        started = time.time()
        try:
            response = self.http.request(method, self.stack.web_url + path, timeout=15, **kwargs)
        except requests.RequestException as error:
            detail = f"{type(error).__name__}: {str(error)[:120]}"
            return Answer(kind, started, time.time(), "unclear", detail=detail), {}
        outcome, detail = http_outcome(response)
        body = response.json() if outcome == "accepted" and response.content else {}
        return Answer(kind, started, time.time(), outcome, detail=detail), body

    def power(self, action: str = "on") -> Answer:
        """Power on a node that has no operation in flight (one request per node)."""
        try:
            node = self.fresh_nodes.popleft()
        except IndexError:
            raise RuntimeError("the suite ran out of fresh fake nodes") from None
        answer = self.power_node(node, action)
        # Refused clearly, nothing was asked of it: another request may use it. A request
        # left unanswered may have been taken (the ledger looks), so the node is not reused.
        if answer.outcome == "clear":
            self.fresh_nodes.appendleft(node)
        return answer

    def power_node(self, node: str, action: str = "on") -> Answer:
        """Ask for power on `node`; the Answer's ref is the operation's id."""
        path = f"/api/v1/nodes/{node}/power/"
        answer, body = self._http("power", "POST", path, json={"action": action})
        answer.ref, answer.node = str(body.get("id", "")), node
        return answer

    def api(self) -> Answer:
        """An operator's read: a page of nodes."""
        return self._http("api", "GET", "/api/v1/nodes/?page_size=5")[0]

    def register(self) -> Answer:
        """A new machine registers with the site's enrollment token."""
        uuid = str(uuids.uuid4())
        started = time.time()
        try:
            self.agent.Register(register_request(uuid), metadata=ENROLL, timeout=15)
        except grpc.RpcError as error:
            code = error.code()
            outcome = "clear" if code in CLEAR_GRPC else "unclear"
            detail = f"{code.name}: {error.details()[:120]}"
            return Answer("register", started, time.time(), outcome, uuid, detail)
        return Answer("register", started, time.time(), "accepted", uuid)

    def notice(self) -> Answer:
        """A failure Bearman must tell people about: one unique notice of `notice_size`."""
        name = f"{self.notice_tag} notice {next(NOTICE_NUMBERS)}"
        answer = self.report_failed(name + " " + "x" * max(0, self.notice_size - len(name) - 1))
        answer.ref = name
        return answer

    def report_failed(self, message: str) -> Answer:
        """A first stage that failed before registering: Bearman raises a notice."""
        uuid, started = str(uuids.uuid4()), time.time()
        request = agent_pb2.ReportFailedRequest(
            system_uuid=uuid, message=message, agent_address="10.66.0.9", phase="register"
        )
        try:
            self.agent.ReportFailed(request, metadata=ENROLL, timeout=15)
        except grpc.RpcError as error:
            code = error.code()
            outcome = "clear" if code in CLEAR_GRPC else "unclear"
            detail = f"{code.name}: {error.details()[:120]}"
            return Answer("notice", started, time.time(), outcome, message, detail)
        return Answer("notice", started, time.time(), "accepted", message)


def register_request(uuid: str):
    mac = "02:fa:" + ":".join(f"{random.randrange(256):02x}" for _ in range(4))
    return agent_pb2.RegisterRequest(
        facts=agent_pb2.Facts(
            system_uuid=uuid,
            serial=f"FAULT-{uuid[:8]}",
            vendor="Dell Inc.",
            product="PowerEdge R640",
            cpu=agent_pb2.Cpu(model="Xeon", sockets=2, cores=40, threads=80),
            memory_bytes=384 * 1024**3,
            nics=[agent_pb2.Nic(name="eno1", mac=mac, speed_mbps=25000, link=True)],
        ),
        agent_address="10.66.0.10",
        agent_version="0.1.0",
    )


class Load:
    """Threads calling `calls` in turn until stopped; every Answer is kept."""

    def __init__(self, clients: list[Clients], calls: list[str], pause: float = 0.05):
        self.clients, self.calls, self.pause = clients, calls, pause
        self.answers: list[Answer] = []
        self.errors: list[BaseException] = []  # the suite's own, not Bearman's
        self.stop_event = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(client, offset), daemon=True)
            for offset, client in enumerate(clients)
        ]

    def _run(self, client: Clients, offset: int) -> None:
        calls = itertools.islice(itertools.cycle(self.calls), offset, None)
        while not self.stop_event.is_set():
            try:
                answer = getattr(client, next(calls))()
            except Exception as error:
                self.errors.append(error)
                return
            self.answers.append(answer)  # list.append is atomic under the GIL
            # A refused client waits a little longer before its next try, as clients do.
            self.stop_event.wait(self.pause if answer.outcome == "accepted" else 0.2)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(30)
