"""The agent's progress reports: a server that cannot take one never fails the run."""

from concurrent import futures

import grpc
import pytest

from bearman_agent import timeline
from bearman_agent.client import AgentClient
from bearman_agent.wire.bearman.v1 import agent_pb2_grpc


@pytest.fixture
def older_server():
    """A gRPC server that knows none of the methods (UNIMPLEMENTED), like an older Bearman."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    agent_pb2_grpc.add_AgentServiceServicer_to_server(agent_pb2_grpc.AgentServiceServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(grace=None)


def test_a_refused_progress_report_is_one_warning(older_server, capsys):
    client = AgentClient(server=older_server, token="agent-token")
    try:
        timeline.report_step(client, system_uuid="x", step=timeline.INSTALL_SCRIPT_STARTED)
    finally:
        client.close()
    warning = capsys.readouterr().err.strip().splitlines()
    assert len(warning) == 1
    assert "could not report progress to the server" in warning[0]
    assert "UNIMPLEMENTED" in warning[0]
