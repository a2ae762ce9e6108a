"""A whole Bearman for the fault suite: its own PostgreSQL cluster and Redis, gunicorn as
the Procfile runs it, `manage.py run_grpc`, a Celery worker and beat, each with its log.

Nothing here is shared with the developer's or CI's servers: the cluster and Redis run on
free ports from a temporary directory, so stopping them touches nothing else.
"""

import contextlib
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import psycopg2
import requests
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Debian's server binaries (the newest installed version first), else those on PATH.
PG_BIN_DIRS = (
    *sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))[::-1],
    "/usr/local/bin",
    "/usr/bin",
)
ENROLLMENT = "fault-suite-enrollment-token-0123456789"
OPERATOR_PASSWORD = "Fault-Suite-Operator-Pw-1"
# Short clocks, so that each fault shows its whole course within seconds: about 1/15 to
# 1/30 of the defaults (settings/celery.py, settings/operations.py), in the same order.
CLOCKS = {
    "BEARMAN_POWER_OPERATION_SECONDS": "10",
    "BEARMAN_POWER_RETRIES": "0",
    "BEARMAN_POWER_QUEUE_SECONDS": "120",
    "BEARMAN_POWER_RESEND_SECONDS": "8",
    "BEARMAN_POWER_RECONCILE_SECONDS": "2",
    "BEARMAN_POWER_REAP_SECONDS": "2",
    "BEARMAN_POWER_SYNC_SECONDS": "0",
    "BEARMAN_OPERATIONS_CHECK_SECONDS": "2",
    "BEARMAN_NOTIFY_BATCH_SECONDS": "1",
    "BEARMAN_NOTIFY_TIMEOUT_SECONDS": "2",
    # The webhook's backoff at 1/30: 30 s doubling up to 300 s becomes 1 s up to 10 s.
    "BEARMAN_NOTIFY_RETRY_SECONDS": "1",
    "BEARMAN_NOTIFY_RETRY_MAX_SECONDS": "10",
    # Registered nodes get addresses where no BMC answers: one short check each.
    "BEARMAN_BMC_CHECK_DELAY_SECONDS": "4",
    "BEARMAN_BMC_CHECK_ATTEMPTS": "1",
    "BEARMAN_BMC_TIMEOUT": "1",
    "BEARMAN_REGISTRATION_LIMIT_PER_SOURCE": "100000",
    "BEARMAN_REGISTRATION_LIMIT_GLOBAL": "100000",
    "BEARMAN_GRPC_GRACE_SECONDS": "3",
    # Bearman does not know the webhook's limit (webhook.LARGE_BODY): it learns it from 413s.
    "BEARMAN_NOTIFY_MAX_BYTES": str(1024 * 1024),
}
WORKER_CONCURRENCY = 6  # the Procfile's --concurrency; BMC checks wait on silent BMCs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pg_tool(name: str) -> str | None:
    for directory in PG_BIN_DIRS:
        path = Path(directory) / name
        if path.exists():
            return str(path)
    return shutil.which(name)


def wait_until(check, seconds: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(step)
    raise RuntimeError(f"{what} within {seconds:g} s")


class Postgres:
    """A cluster of its own (initdb, pg_ctl); as the postgres user when we are root."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.home = directory / "pg"
        self.data, self.log = self.home / "data", directory / "logs" / "postgresql.log"
        self.as_user = []
        if os.geteuid() == 0:  # initdb refuses root
            self.as_user = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--"]
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/bearman"

    def _run(self, *command: str) -> None:
        subprocess.run([*self.as_user, *command], check=True, capture_output=True, timeout=120)

    def create(self) -> None:
        self.home.mkdir()
        self.log.touch()
        if self.as_user:
            owner = pwd.getpwnam("postgres")
            for path in (self.home, self.log):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self._run(
            pg_tool("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        self.start()
        with contextlib.closing(self.connect("postgres")) as connection:
            connection.autocommit = True
            connection.cursor().execute("CREATE DATABASE bearman")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(pg_tool("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        self._run(pg_tool("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def connect(self, database: str = "bearman"):
        return psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, connect_timeout=5
        )


class Redis:
    """A Redis of its own that keeps nothing on disk: a restart loses what it held."""

    def __init__(self, directory: Path):
        self.port, self.directory = free_port(), directory
        self.log = directory / "logs" / "redis.log"
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            shutil.which("redis-server") or "redis-server", "--port", str(self.port),
            "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.directory), "--logfile", str(self.log),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        wait_until(self._answers, 20, "Redis did not answer")

    def _answers(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), 1) as s,
        ):
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
        return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # with --save '' nothing is written
            self.process.wait(20)


@dataclass
class Process:
    """One long-running Bearman process and its log file."""

    name: str
    command: list[str]
    log: Path
    popen: subprocess.Popen | None = None
    starts: int = 0

    def start(self, env: dict) -> None:
        with self.log.open("a") as log:
            log.write(f"\n===== start {self.starts + 1} at {time.strftime('%H:%M:%S')} =====\n")
            log.flush()
            self.popen = subprocess.Popen(
                self.command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.starts += 1

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self) -> None:
        if not self.popen or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)
        # A session of its own: no orphan (a gunicorn or pool child) outlives the suite.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def children(self) -> list[int]:
        """The process's direct children (gunicorn's workers, Celery's pool)."""
        if not self.alive:
            return []
        path = Path(f"/proc/{self.popen.pid}/task/{self.popen.pid}/children")
        with contextlib.suppress(OSError):
            return [int(pid) for pid in path.read_text().split()]
        return [pid for pid in _all_pids() if _parent_of(pid) == self.popen.pid]


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _parent_of(pid: int) -> int | None:
    """From /proc/PID/stat (a kernel without /proc/PID/task/PID/children)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return None


@dataclass
class Stack:
    """The cluster, Redis and the four Bearman processes, pointed at each other."""

    directory: Path
    webhook_url: str
    postgres: Postgres = field(init=False)
    redis: Redis = field(init=False)
    web_url: str = field(init=False)
    grpc_target: str = field(init=False)
    processes: dict[str, Process] = field(default_factory=dict)
    seed: dict = field(default_factory=dict)

    def __post_init__(self):
        (self.directory / "logs").mkdir(parents=True, exist_ok=True)
        (self.directory / "var").mkdir(exist_ok=True)
        self.postgres, self.redis = Postgres(self.directory), Redis(self.directory)
        web, rpc = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
        self.web_url, self.grpc_target = f"http://{web}", rpc
        logs = self.directory / "logs"
        commands = {
            # The Procfile's lines, two web workers.
            "web": [str(BIN / "gunicorn"), "bearman.wsgi", "--config", "gunicorn.conf.py",
                    "--bind", web, "--workers", "2", "--access-logfile", "-"],
            "grpc": [sys.executable, "manage.py", "run_grpc", "--bind", rpc],
            "worker": [str(BIN / "celery"), "-A", "bearman", "worker", "--loglevel", "INFO",
                       "--concurrency", str(WORKER_CONCURRENCY), "--hostname", "faults@%h"],
            "beat": [str(BIN / "celery"), "-A", "bearman", "beat", "--loglevel", "INFO"],
        }  # fmt: skip
        for name, command in commands.items():
            self.processes[name] = Process(name, command, logs / f"{name}.log")

    @property
    def env(self) -> dict:
        keep = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("BEARMAN_", "PROMETHEUS_"))
            and key not in {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
        }
        return {
            **keep,
            **CLOCKS,
            "DATABASE_URL": self.postgres.url,
            "CELERY_BROKER_URL": self.redis.url,
            "BEARMAN_VAR_DIR": str(self.directory / "var"),
            "BEARMAN_ENROLLMENT_TOKEN": ENROLLMENT,
            "BEARMAN_NOTIFY_WEBHOOK_URL": self.webhook_url,
            "PYTHONUNBUFFERED": "1",
            # This checkout's code, in every process (celery does not look in its cwd).
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }

    def manage(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args[:1])} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def build(self, *, fake_nodes: int, slow_bmc_port: int) -> None:
        started = time.monotonic()
        self.postgres.create()
        self.redis.start()
        self.manage("migrate", "--no-input", "--verbosity", "0")
        migrated = time.monotonic()
        call = (
            "from tests.faults.seed import seed; "
            f"seed(fake_nodes={fake_nodes}, slow_bmc_port={slow_bmc_port}, "
            f"password={OPERATOR_PASSWORD!r})"
        )
        self.seed = json.loads(self.manage("shell", "-c", call).strip().splitlines()[-1])
        seeded = time.monotonic()
        for process in self.processes.values():
            process.start(self.env)
        self.wait_ready()
        print(
            f"\nfault suite: cluster and migrations {migrated - started:.1f} s, seed "
            f"{seeded - migrated:.1f} s, processes ready {time.monotonic() - seeded:.1f} s"
        )

    def wait_ready(self, seconds: float = 90) -> None:
        wait_until(self._web_ready, seconds, "gunicorn did not answer /healthz")
        wait_until(self._grpc_ready, seconds, "run_grpc did not become SERVING")
        wait_until(lambda: self.log_has("worker", "ready."), seconds, "the worker did not start")
        wait_until(lambda: self.log_has("beat", "beat: Starting"), seconds, "beat did not start")

    def _web_ready(self) -> bool:
        with contextlib.suppress(requests.RequestException):
            return requests.get(f"{self.web_url}/healthz", timeout=2).status_code == 200
        return False

    def _grpc_ready(self) -> bool:
        with grpc.insecure_channel(self.grpc_target) as channel, contextlib.suppress(grpc.RpcError):
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=2
            )
            return reply.status == health_pb2.HealthCheckResponse.SERVING
        return False

    def log_has(self, name: str, text: str) -> bool:
        log = self.processes[name].log.read_text(errors="replace")
        return text in log.rsplit("===== start", 1)[-1]

    def revive(self) -> list[str]:
        """Start again what a fault left dead (the suite's housekeeping between faults)."""
        dead = [name for name, process in self.processes.items() if not process.alive]
        for name in dead:
            self.processes[name].start(self.env)
        if dead:
            self.wait_ready()
        return dead

    def close(self) -> None:
        for process in self.processes.values():
            process.stop()
        self.redis.stop()
        with contextlib.suppress(Exception):
            self.postgres.stop()


@contextlib.contextmanager
def stack_directory():
    """A temporary directory the postgres user may enter (initdb runs as that user)."""
    directory = Path(tempfile.mkdtemp(prefix="bearman-faults-"))
    os.chmod(directory, 0o755)
    try:
        yield directory
    finally:
        if os.environ.get("BEARMAN_FAULTS_KEEP"):
            print(f"\nfault suite: logs kept in {directory}/logs")
        else:
            shutil.rmtree(directory, ignore_errors=True)
