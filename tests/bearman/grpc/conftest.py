"""A real `manage.py run_grpc` process on a loopback port, on the test database."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bearman_agent.wire.bearman.v1 import agent_pb2, agent_pb2_grpc
from tests.agent.conftest import artifacts  # noqa: F401 - the agent's artifact server fixture

ROOT = Path(__file__).resolve().parents[3]
ENROLLMENT = "test-enrollment-token-0123456789"
PUBLIC_URL = "http://bearman.example.test:8000"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user, host = settings_dict["USER"], settings_dict["HOST"] or "127.0.0.1"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def server_env(extra: dict | None = None) -> dict:
    from django.conf import settings
    from django.db import connection

    env = {k: v for k, v in os.environ.items() if not k.startswith("BEARMAN_")}
    env.update(
        DATABASE_URL=database_url(connection.settings_dict),
        BEARMAN_VAR_DIR=os.environ.get("BEARMAN_VAR_DIR", str(ROOT / "var")),
        BEARMAN_ENROLLMENT_TOKEN=ENROLLMENT,
        # The same keys as this process: what one encrypts the other must read.
        BEARMAN_SECRET_KEY=settings.SECRET_KEY,
        BEARMAN_FERNET_KEYS=",".join(settings.BEARMAN_FERNET_KEYS),
        BEARMAN_PUBLIC_URL=PUBLIC_URL,
        BEARMAN_GRPC_GRACE_SECONDS="3",
    )
    return {**env, **(extra or {})}


def wait_serving(target: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"run_grpc exited with {process.returncode}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                time.sleep(0.2)
    raise RuntimeError("run_grpc did not become SERVING")


def start_server(extra_env: dict | None = None, *args: str) -> tuple[subprocess.Popen, str]:
    target = f"127.0.0.1:{free_port()}"
    # A file, not a pipe: a chatty server must never block on a full pipe.
    fd, log_path = tempfile.mkstemp(prefix="run_grpc-", suffix=".log")
    with os.fdopen(fd, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_grpc", "--bind", target, *args],
            cwd=ROOT,
            env=server_env(extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    process.log_path = Path(log_path)
    wait_serving(target, process)
    return process, target


def server_output(process: subprocess.Popen) -> str:
    return process.log_path.read_text()


def stop_server(process: subprocess.Popen) -> str:
    process.terminate()
    process.wait(timeout=30)
    output = server_output(process)
    process.log_path.unlink(missing_ok=True)
    return output


@pytest.fixture(scope="module")
def grpc_target(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        process, target = start_server()
    yield target
    stop_server(process)


@pytest.fixture
def agent(grpc_target):
    with grpc.insecure_channel(grpc_target) as channel:
        yield agent_pb2_grpc.AgentServiceStub(channel)


def bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


ENROLL = bearer(ENROLLMENT)


def register_request(uuid: str, *, address: str = "10.10.0.50", serial: str = "SN1"):
    return agent_pb2.RegisterRequest(
        facts=agent_pb2.Facts(
            system_uuid=uuid,
            serial=serial,
            vendor="Dell Inc.",
            product="PowerEdge R640",
            bios_version="2.19.1",
            cpu=agent_pb2.Cpu(model="Intel(R) Xeon(R) Gold 6230", sockets=2, cores=40, threads=80),
            memory_bytes=384 * 1024**3,
            disks=[agent_pb2.Disk(name="sda", model="MZ7LH960", size_bytes=960197124096)],
            nics=[
                agent_pb2.Nic(
                    name="eno1",
                    mac="B8:CA:3A:00:00:01",
                    speed_mbps=25000,
                    link=True,
                    lldp=agent_pb2.LldpNeighbor(system_name="tor-r12-a", port_id="Ethernet12"),
                )
            ],
            bmc=agent_pb2.BmcInfo(mac="b8:ca:3b:00:00:01", firmware="iDRAC 6.10"),
        ),
        agent_address=address,
        agent_version="0.1.0",
    )


@pytest.fixture
def ipmi_pool(db):
    """The BMC network of zone az1, and the provisioning network that places agents in it."""
    from .pools import make_pool

    make_pool(name="prov-az1", network="10.10.0.0/24", purpose="provisioning", zone="az1")
    return make_pool(
        name="ipmi-az1",
        network="10.20.0.0/24",
        purpose="ipmi",
        zone="az1",
        gateway="10.20.0.1",
        vlan=120,
    )


@pytest.fixture
def tiny_ipmi_pool(db):
    """An ipmi pool with room for one BMC."""
    from .pools import make_pool

    make_pool(name="prov-az1", network="10.10.0.0/24", purpose="provisioning", zone="az1")
    return make_pool(
        name="ipmi-tiny", network="10.30.0.0/30", purpose="ipmi", zone="az1", gateway="10.30.0.1"
    )
