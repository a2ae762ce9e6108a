"""Building and running the gRPC server: agent API, health, reflection, graceful stop."""

import logging
import signal
import threading
from concurrent import futures
from pathlib import Path

import grpc
from django.conf import settings
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from bearman_agent.wire.bearman.v1 import agent_pb2, agent_pb2_grpc

from .servicer import AgentServicer
from .status import StatusInterceptor

logger = logging.getLogger("bearman.grpc")
AGENT_SERVICE = agent_pb2.DESCRIPTOR.services_by_name["AgentService"].full_name
# The largest request gRPC itself takes (a larger one is RESOURCE_EXHAUSTED before any of our
# code runs; grpcio's default is 4 MiB). Register is the biggest call: its facts are at most
# bearman.facts.MAX_FACTS_BYTES (256 KiB) as JSON, less on the wire, and a real one with 128
# NICs and 512 disks is 50 KiB. Twice the facts cap lets facts past it get our clearer answer.
MAX_REQUEST_BYTES = 512 * 1024


class AgentServer:
    """One gRPC server process; several may share a port (SO_REUSEPORT)."""

    def __init__(self, *, bind: str, threads: int, reflection_on: bool):
        self.health = health.HealthServicer()
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=threads),
            interceptors=[StatusInterceptor()],
            options=[
                ("grpc.so_reuseport", 1),
                ("grpc.max_receive_message_length", MAX_REQUEST_BYTES),
            ],
        )
        agent_pb2_grpc.add_AgentServiceServicer_to_server(AgentServicer(), self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        names = [AGENT_SERVICE, health.SERVICE_NAME]
        if reflection_on:
            reflection.enable_server_reflection([*names, reflection.SERVICE_NAME], self.server)
        self.port = self._listen(bind)
        self.stopped = threading.Event()

    def _listen(self, bind: str) -> int:
        if settings.BEARMAN_GRPC_TLS_CERT:
            credentials = grpc.ssl_server_credentials(
                [
                    (
                        Path(settings.BEARMAN_GRPC_TLS_KEY).read_bytes(),
                        Path(settings.BEARMAN_GRPC_TLS_CERT).read_bytes(),
                    )
                ]
            )
            port = self.server.add_secure_port(bind, credentials)
        else:
            port = self.server.add_insecure_port(bind)
        if not port:
            raise OSError(f"cannot listen on {bind}")
        return port

    def start(self) -> None:
        self.server.start()
        for service in ("", AGENT_SERVICE):
            self.health.set(service, health_pb2.HealthCheckResponse.SERVING)
        logger.info("gRPC agent API listening on port %s", self.port)

    def drain(self, grace: float) -> None:
        """Stop taking calls: NOT_SERVING first, so balancers move away, then stop with grace."""
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        self.stopped.set()

    def serve_until_signalled(self, grace: float) -> None:
        def on_signal(signum, frame):
            logger.info("signal %s: draining the gRPC server (%s s grace)", signum, grace)
            threading.Thread(target=self.drain, args=(grace,), daemon=True).start()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.start()
        self.stopped.wait()
