"""A real `celery worker` process on the test database, and the broker it shares with us.

In CI the broker is Redis (CELERY_BROKER_URL, else redis://127.0.0.1:6379/0) and a
missing Redis fails the test; elsewhere, and in CI's run on the embedded default
(BEARMAN_TEST_EMBEDDED=true), it is the file-system broker in a temporary folder, as
`make run` uses it.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

from bearman.celery import app as celery_app
from tests.conftest import EMBEDDED_RUN, IN_CI

from .helpers import ROOT

CI_REDIS = "redis://127.0.0.1:6379/0"


def broker_url() -> str:
    """Redis from the environment (or CI's default), else '' for the file-system broker."""
    url = os.environ.get("CELERY_BROKER_URL", "") or (
        CI_REDIS if IN_CI and not EMBEDDED_RUN else ""
    )
    if url.startswith("redis"):
        try:
            redis.Redis.from_url(url, socket_timeout=3).ping()
        except redis.RedisError as error:
            pytest.fail(f"Redis at {url} is required here and does not answer: {error}")
    return url


@contextlib.contextmanager
def shared_broker(var_dir: Path):
    """Point this process's Celery at the broker the worker will use; yields worker env."""
    url = broker_url()
    options = {}
    if not url:
        folder = var_dir / "broker"
        folder.mkdir(parents=True, exist_ok=True)
        options = {key: str(folder) for key in ("data_folder_in", "data_folder_out")}
        options["control_folder"] = str(folder)
    if url:
        redis.Redis.from_url(url).flushdb()  # nothing left over from an earlier run
    saved = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    celery_app.conf.broker_url = url or "filesystem://"
    celery_app.conf.broker_transport_options = options
    _drop_connections()
    try:
        yield {"CELERY_BROKER_URL": url, "BEARMAN_VAR_DIR": str(var_dir)}
    finally:
        celery_app.conf.broker_url, celery_app.conf.broker_transport_options = saved
        _drop_connections()


def _drop_connections() -> None:
    # Celery caches its connection and producer pools; a changed URL needs new ones.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def worker_database_url() -> str:
    """The test database (not the developer's) as DATABASE_URL for another process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextlib.contextmanager
def celery_worker(
    env: dict,
    *,
    beat: bool = False,
    log: Path,
    queues: str = "celery,background",
    hostname: str = "celery@%h",
):
    """`celery -A bearman worker` until the block ends; yields the Popen (own process group)."""
    command = [sys.executable, "-m", "celery", "-A", "bearman", "worker", "--concurrency", "2"]
    command += ["--loglevel", "INFO", "--without-mingle", "--without-gossip", "--queues", queues]
    command += ["--hostname", hostname]
    if beat:
        command += ["--beat", "--schedule", str(Path(env["BEARMAN_VAR_DIR"]) / "beat")]
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DATABASE"))}
    full_env = {
        **keep,
        "DATABASE_URL": worker_database_url(),
        "BEARMAN_SECRET_KEY": settings.SECRET_KEY,
        "BEARMAN_FERNET_KEYS": ",".join(settings.BEARMAN_FERNET_KEYS),
        "BEARMAN_POWER_SYNC_SECONDS": "0",
        **{k: v for k, v in env.items() if v},
    }
    with open(log, "a") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=full_env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_ready(process, log)
        yield process
    finally:
        kill_worker(process)


def _wait_until_ready(process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if " ready." in log.read_text():
            return
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"the Celery worker did not start:\n{log.read_text()[-3000:]}")


def kill_worker(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    """Signal the worker's whole process group (main process and pool children)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def queued_power_operations(lane: str) -> list[int]:
    """Take every message waiting in `lane`'s queue of the shared broker: the operation
    ids of its power_operation tasks, in order (read as a worker would, not through us)."""
    ids = []
    with celery_app.connection_for_read() as connection:
        queue = connection.SimpleQueue(lane)
        try:
            while True:
                try:
                    message = queue.get(timeout=0.5)
                except queue.Empty:
                    return ids
                message.ack()
                if message.headers.get("task") == "bearman.tasks.power_operation":
                    ids.append(message.payload[0][0])  # protocol 2: (args, kwargs, embed)
        finally:
            queue.close()
