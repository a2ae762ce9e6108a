"""The server process: health, graceful drain on SIGTERM, a database that is down."""

import signal
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bearman_agent.wire.bearman.v1 import agent_pb2_grpc

from .conftest import ENROLL, free_port, register_request, start_server, stop_server

UUID = "4c4c4544-0042-3510-8052-b3c04f4b4c32"


@pytest.mark.django_db
def test_sigterm_drains_then_stops(grpc_target):
    process, target = start_server()
    statuses = []
    with grpc.insecure_channel(target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        watch = health.Watch(health_pb2.HealthCheckRequest(), timeout=30)
        statuses.append(next(watch).status)
        process.send_signal(signal.SIGTERM)
        statuses.append(next(watch).status)
    assert statuses == [
        health_pb2.HealthCheckResponse.SERVING,
        health_pb2.HealthCheckResponse.NOT_SERVING,
    ]
    assert process.wait(timeout=30) == 0
    assert "draining the gRPC server" in stop_server(process)


@pytest.mark.django_db
def test_a_database_that_is_down_is_unavailable_not_internal(grpc_target):
    dead = f"postgres://postgres@127.0.0.1:{free_port()}/bearman"
    process, target = start_server({"DATABASE_URL": dead})
    try:
        with grpc.insecure_channel(target) as channel:
            stub = agent_pb2_grpc.AgentServiceStub(channel)
            started = time.monotonic()
            with pytest.raises(grpc.RpcError) as raised:
                stub.Register(register_request(UUID), metadata=ENROLL, timeout=30)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "database is unavailable" in raised.value.details()
        assert time.monotonic() - started < 15
    finally:
        stop_server(process)


@pytest.mark.django_db
def test_several_processes_share_one_port(grpc_target):
    process, target = start_server(None, "--processes", "2")
    try:
        results = []

        def check():
            with grpc.insecure_channel(target) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=10
                )
                results.append(reply.status)

        threads = [threading.Thread(target=check) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [health_pb2.HealthCheckResponse.SERVING] * 8
    finally:
        assert "draining" in stop_server(process)
