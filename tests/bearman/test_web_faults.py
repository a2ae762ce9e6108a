"""The web service when its parts fail: a killed gunicorn worker, a database that is down.

Real gunicorn, started as the Procfile's web line starts it (gunicorn.conf.py included),
on a free port with a scratch var/ directory of its own.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from bearman.settings.environment import BASE_DIR

GUNICORN = Path(sys.executable).with_name("gunicorn")
START_SECONDS = 60


def free_port() -> int:
    """A port nothing listens on (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scratch_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """This test process's environment without what would mask a fault or share its state.

    PROMETHEUS_MULTIPROC_DIR goes too: the settings this process imported put it there,
    and gunicorn must find it by itself, as it does under `make run`.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "CELERY_BROKER_URL", "PROMETHEUS_MULTIPROC_DIR"}
        and not name.startswith("PYTEST")
    }
    return {**env, "BEARMAN_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "bearman.settings"}


class Gunicorn:
    """One gunicorn master, its workers, its log."""

    def __init__(self, var_dir: Path, env: dict[str, str], workers: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = var_dir / "gunicorn.log"
        command = [
            str(GUNICORN),
            "bearman.wsgi",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            "--control-socket",
            str(var_dir / "gunicorn.ctl"),
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def workers(self) -> set[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return {int(pid) for pid in children.read_text().split()}
        except FileNotFoundError:
            return set()

    def wait_serving(self, workers: int, *, without: set[int] = frozenset()) -> set[int]:
        """The worker pids once `workers` of them (none in `without`) run and /healthz answers."""
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn exited:\n{self.output()}"
            pids = self.workers()
            if len(pids) == workers and not pids & without and self.healthy():
                return pids
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not serve with {workers} workers:\n{self.output()}")

    def healthy(self) -> bool:
        try:
            return requests.get(f"{self.url}/healthz", timeout=5).text == "ok\n"
        except requests.RequestException:
            return False

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(f"{self.url}{path}", timeout=10, **kwargs)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        """Ctrl-C, as honcho passes it on; the master's exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@contextlib.contextmanager
def gunicorn(var_dir: Path, *, workers: int = 2, **extra_env: str):
    server = Gunicorn(var_dir, {**scratch_env(var_dir), **extra_env}, workers)
    try:
        yield server
    finally:
        server.stop()


def migrate(var_dir: Path) -> None:
    """The scratch var/'s own SQLite database, as `make run` prepares it."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=scratch_env(var_dir),
        check=True,
        timeout=300,
    )


def test_a_killed_web_worker_is_replaced_and_the_master_lives_on(tmp_path):
    with gunicorn(tmp_path, workers=2) as server:
        first = server.wait_serving(2)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        now = server.wait_serving(2, without={victim})
        assert server.process.poll() is None, "the master died with its worker"
        assert len(now - first) == 1, "one new worker replaces the dead one"
        for _ in range(10):
            assert server.get("/healthz").text == "ok\n"
        # Ctrl-C when idle: gunicorn's quick exit cuts off a request still being written.
        time.sleep(1)
        status = server.stop()
    assert status == 0
    output = server.output()
    assert "Traceback" not in output, output
    assert f"Worker (pid:{victim}) was sent SIGKILL" in output


def test_what_every_worker_counts_reaches_metrics(tmp_path):
    migrate(tmp_path)
    with gunicorn(tmp_path, workers=2) as server:
        server.wait_serving(2)
        # Each request lands on either worker; /metrics must add up both.
        for _ in range(6):
            assert server.get("/ipxe/not-a-uuid").status_code == 400
        metrics = server.get("/metrics")
        assert metrics.status_code == 200
        counted = re.search(
            r'^bearman_ipxe_requests_total\{outcome="bad_request"\} (\S+)$',
            metrics.text,
            re.MULTILINE,
        )
        assert counted and float(counted.group(1)) == 6, metrics.text
    assert any((tmp_path / "metrics").glob("counter_*.db"))


def test_a_database_that_does_not_answer_is_503_with_retry_after(tmp_path):
    closed = free_port()
    database = f"postgres://bearman:not-shown@127.0.0.1:{closed}/bearman"
    with gunicorn(tmp_path, workers=1, DATABASE_URL=database) as server:
        server.wait_serving(1)

        api = server.get("/api/v1/nodes/", headers={"Authorization": "Token abc"})
        assert api.status_code == 503
        assert api.headers["Retry-After"] == "10"
        assert api.json()["error"]["code"] == "unavailable"
        assert "try again" in api.json()["error"]["message"]

        metrics = server.get("/metrics")
        assert (metrics.status_code, metrics.headers["Retry-After"]) == (503, "10")
        assert "try again" in metrics.text

        ready = server.get("/readyz")
        assert (ready.status_code, ready.headers["Retry-After"]) == (503, "10")
        assert ready.json()["database"] == "unavailable"
        for secret in (str(closed), "127.0.0.1", "bearman:", "not-shown"):
            assert secret not in ready.text

        assert server.get("/healthz").status_code == 200
        output = server.output()
    assert "database unavailable" in output and str(closed) in output  # the log says where
    assert "Traceback" not in output, output
