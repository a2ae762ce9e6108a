"""The probes behind docker-compose's healthchecks, against the real services: a Celery
worker, celery beat, and nginx with deploy/nginx's config serving what Bearman rendered.

Outside CI a missing nginx skips its test; with CI=true it fails (`make system-deps`)."""

import os
import signal
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.bearman.grpc.conftest import free_port
from tests.bearman.power.worker import celery_worker, shared_broker
from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[2]
NGINX_MAIN = """
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    include {tmp}/bearman.conf;
}}
"""


def healthcheck(*args: str, env: dict) -> subprocess.CompletedProcess:
    """`python manage.py healthcheck …` as the compose file runs it."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("BEARMAN_", "CELERY_"))}
    return subprocess.run(
        [sys.executable, "manage.py", "healthcheck", *args],
        cwd=ROOT,
        env={**keep, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_worker_probe_pings_the_worker_of_this_host(tmp_path):
    with shared_broker(tmp_path) as env:
        with celery_worker(env, log=tmp_path / "worker.log"):
            answered = healthcheck("worker", env=env)
        assert answered.returncode == 0, answered.stderr
        assert "answers" in answered.stdout
        gone = healthcheck("worker", "--timeout", "2", env=env)
    assert gone.returncode != 0
    assert "did not answer a ping" in gone.stderr


def test_beat_probe_follows_a_running_beat(tmp_path):
    env = {"BEARMAN_VAR_DIR": str(tmp_path), "BEARMAN_OPERATIONS_CHECK_SECONDS": "1"}
    assert "no beat schedule" in healthcheck("beat", env=env).stderr
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("BEARMAN_", "CELERY_"))}
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "bearman", "beat", "--loglevel", "INFO"],
        cwd=ROOT,
        env={**keep, **env, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: list(tmp_path.glob("celerybeat-schedule*")), 30, "beat's schedule")
        running = healthcheck("beat", env=env)
        assert running.returncode == 0, running.stderr
    finally:
        beat.send_signal(signal.SIGTERM)
        beat.wait(30)
    time.sleep(2.5)
    stale = healthcheck("beat", "--max-age", "2", env=env)
    assert stale.returncode != 0
    assert "last written" in stale.stderr


@pytest.fixture
def nginx_dir():
    # nginx's workers run as nobody: a directory they may read (pytest's is the user's).
    directory = Path(tempfile.mkdtemp(prefix="bearman-nginx-"))
    directory.chmod(0o755)
    yield directory
    subprocess.run(["rm", "-rf", str(directory)], check=False)


def start_nginx(tmp: Path, port: int) -> subprocess.Popen:
    """deploy/nginx's config filled as the nginx image fills it; no Bearman behind it."""
    template = (ROOT / "deploy" / "nginx" / "bearman.conf.template").read_text()
    (tmp / "bearman.conf").write_text(
        string.Template(template).safe_substitute(
            BEARMAN_UPSTREAM=f"127.0.0.1:{free_port()}",
            BEARMAN_NGINX_LISTEN=f"127.0.0.1:{port}",
            BEARMAN_IPXE_DIR=tmp / "ipxe",
            BEARMAN_ARTIFACTS_DIR=tmp / "artifacts",
        )
    )
    (tmp / "nginx.conf").write_text(NGINX_MAIN.format(tmp=tmp))
    nginx = require_tool("nginx")
    command = [nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"]
    return subprocess.Popen(command, stderr=subprocess.PIPE)


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_nginx_serves_the_script_the_render_probe_wrote(nginx_dir):
    port = free_port()
    url = f"http://127.0.0.1:{port}/ipxe/healthz.ipxe"
    nginx = start_nginx(nginx_dir, port)
    try:
        wait_for(lambda: (nginx_dir / "nginx.pid").exists(), 10, "nginx listening")
        time.sleep(0.3)
        assert fetch(url)[0] == 404, "nothing rendered yet: the healthcheck fails"
        env = {
            "BEARMAN_VAR_DIR": str(nginx_dir / "var"),
            "BEARMAN_PUBLIC_URL": "http://10.0.0.2",
            "BEARMAN_IPXE_RENDER_DIR": str(nginx_dir / "ipxe"),
        }
        rendered = healthcheck("render", env=env)
        assert rendered.returncode == 0, rendered.stderr
        status, script = fetch(url)
    finally:
        nginx.terminate()
        nginx.wait(10)
    # From the file alone: the upstream nginx would fall back to is not there.
    assert status == 200
    assert script.startswith("#!ipxe")
    assert "http://10.0.0.2/ipxe/" in script
