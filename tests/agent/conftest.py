"""Fixtures of the agent's tests: recorded outputs, the real bearman-cli, a gRPC peer, HTTP."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from tests.conftest import require_tool  # noqa: F401 - the agent tests' import

FIXTURES = Path(__file__).parent / "fixtures"
BEARMAN_CLI = Path(sys.executable).parent / "bearman-cli"


def recorded(tool: str, name: str) -> str:
    """The text of a recorded output under fixtures/<tool>/."""
    return (FIXTURES / tool / name).read_text(errors="replace")


def run_cli(*args: str, env: dict | None = None, timeout: float = 60) -> CompletedProcess:
    """Run the installed bearman-cli as a user would."""
    return subprocess.run(
        [str(BEARMAN_CLI), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def peer():
    """The recording AgentService on a loopback port: (service, address)."""
    from tests.agent.peer import RecordingAgentService, serve

    service = RecordingAgentService()
    server, address = serve(service)
    yield service, address
    server.stop(grace=None)


@dataclass
class ArtifactServer:
    """Files over real HTTP on loopback, with injectable error statuses."""

    base_url: str
    files: dict[str, bytes] = field(default_factory=dict)
    failures: dict[str, list[int]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def add(self, path: str, content: bytes) -> tuple[str, str]:
        """Serve content at path: (url, sha256)."""
        self.files[path] = content
        return f"{self.base_url}{path}", hashlib.sha256(content).hexdigest()


@pytest.fixture
def artifacts():
    """An HTTP server for kernels and initrds."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ArtifactHandler)
    state = ArtifactServer(base_url=f"http://127.0.0.1:{server.server_address[1]}")
    server.state = state
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


class _ArtifactHandler(BaseHTTPRequestHandler):
    """GET of the files in the server's state; a queued failure status first, if any."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        state = self.server.state
        state.requests.append(self.path)
        pending = state.failures.get(self.path) or []
        status = pending.pop(0) if pending else (200 if self.path in state.files else 404)
        body = state.files.get(self.path, b"") if status == 200 else b"no\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        """Quiet."""


@pytest.fixture
def path_without(tmp_path):
    """A PATH holding this machine's tools except the named ones (as a stripped-down image)."""

    def make(*missing: str) -> str:
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir(exist_ok=True)
        for tool in TOOLS:
            real = shutil.which(tool)
            if real and tool not in missing:
                (bin_dir / tool).symlink_to(real)
        return str(bin_dir)

    return make


TOOLS = ("dmidecode", "lscpu", "lsblk", "ipmitool", "lldpctl", "kexec", "poweroff", "reboot", "sh")
