"""Power operations survive a database that goes away under a real worker: none is lost.

The database is taken away as a restart does it to a worker: it refuses new connections
(`ALLOW_CONNECTIONS false`) and every open one is cut (`pg_terminate_backend`), then it
comes back. Stopping a whole PostgreSQL server under load is the fault suite's job
(tests/faults/); here only the test's own database is blocked, so nothing else is touched.
"""

import contextlib
import re
import time

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from bearman.models import FakeBmc, Node, OperationState, PowerOperation
from bearman.services.power.request import power_action_request
from bearman.tasks.power import power_reap, power_reconcile
from tests.conftest import EMBEDDED_RUN, require
from tests.factories import NodeFactory

from .helpers import silent_bmcs
from .test_end_to_end import WORKER_SETTINGS, ipmi_node, wait_until_finished
from .worker import celery_worker, shared_broker

pytestmark = pytest.mark.django_db(transaction=True)
# Blocking a database is PostgreSQL's; the embedded run is SQLite's.
postgresql_only = pytest.mark.skipif(EMBEDDED_RUN, reason="the embedded run is SQLite's")


@pytest.fixture
def worker_env(tmp_path):
    with shared_broker(tmp_path) as env:
        yield {**env, **WORKER_SETTINGS}


def require_postgresql() -> None:
    require(
        connection.vendor == "postgresql",
        "blocking the database needs PostgreSQL (DATABASE_URL=postgres://…)",
    )


def database_allow(allow: bool) -> None:
    """The test database takes connections again, or refuses them and cuts every open one."""
    name = connection.settings_dict["NAME"]
    if not allow:
        connection.close()  # ours would be cut too
    admin = _maintenance_connection()
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}')
            if not allow:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [name],
                )
    finally:
        admin.close()


@contextlib.contextmanager
def database_unavailable():
    """The test database refuses connections and has none open until the block ends."""
    database_allow(False)
    try:
        yield
    finally:
        database_allow(True)


def _maintenance_connection():
    settings = connection.settings_dict
    admin = psycopg2.connect(
        dbname="postgres",
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
    )
    admin.autocommit = True
    return admin


def wait_until_retrying(log, count: int, seconds: float) -> None:
    """Until the worker's log shows `count` operations waiting for the database."""
    deadline = time.monotonic() + seconds
    while len(set(re.findall(r"#(\d+): the database is unavailable", log.read_text()))) < count:
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.1)


@postgresql_only
def test_operations_taken_while_the_database_is_away_run_once_it_is_back(worker_env, tmp_path):
    require_postgresql()
    nodes = [NodeFactory(bmc_driver="fake", bmc_address=f"10.7.0.{n}") for n in range(1, 7)]
    operations = [power_action_request(node=n, action="on", actor="alice") for n in nodes]
    log = tmp_path / "worker.log"
    database_allow(False)
    # A site's worker named for its zone: it consumes the zone's queues without asking the
    # database (a worker of every zone learns the zones there, so it takes them once the
    # database is back).
    site_worker = {**worker_env, "BEARMAN_WORKER_ZONES": nodes[0].availability_zone}
    try:
        with celery_worker(site_worker, log=log):
            # Each message is taken while the database refuses: each waits, tries again.
            wait_until_retrying(log, len(nodes), 60)
            database_allow(True)
            finished = [wait_until_finished(operation.pk, 60) for operation in operations]
    finally:
        database_allow(True)
    assert [operation.state for operation in finished] == [OperationState.SUCCEEDED] * 6
    assert [operation.attempts for operation in finished] == [1] * 6  # each ran once
    assert set(FakeBmc.objects.values_list("power", flat=True)) == {"on"}


@postgresql_only
def test_what_a_bmc_said_while_the_database_was_away_is_recorded_once_it_is_back(
    worker_env, tmp_path
):
    require_postgresql()
    log = tmp_path / "worker.log"
    with silent_bmcs(1) as (bmc,), celery_worker(worker_env, log=log):
        node = ipmi_node(bmc.port)
        Node.objects.filter(pk=node.pk).update(
            power_state="on", power_state_at=timezone.now(), bmc_options={"timeout": 4}
        )
        operation = power_action_request(node=node, action="status", actor="alice")
        deadline = time.monotonic() + 30
        while PowerOperation.objects.get(pk=operation.pk).state != OperationState.RUNNING:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.05)
        # The worker is asking the silent BMC (4 s): the database goes before it gives up.
        with database_unavailable():
            wait_until_retrying(log, 1, 30)
        operation = wait_until_finished(operation.pk, 60)
    assert operation.state == OperationState.FAILED
    assert operation.error == f"BMC 127.0.0.1:{bmc.port} did not answer within 4 s"
    node.refresh_from_db()
    assert node.power_state == "unknown"


def test_an_operation_whose_message_was_lost_is_sent_again_and_runs(worker_env, tmp_path):
    # Runs on both databases: the row is all there is, no message was ever sent.
    node = NodeFactory(bmc_driver="fake", bmc_address="10.7.1.1")
    lost = PowerOperation.objects.create(node=node, action="on", requested_by="alice")
    env = {
        **worker_env,
        "BEARMAN_POWER_RESEND_SECONDS": "2",
        "BEARMAN_POWER_RECONCILE_SECONDS": "1",
    }
    started = time.monotonic()
    with celery_worker(env, beat=True, log=tmp_path / "worker.log"):
        lost = wait_until_finished(lost.pk, 30)
    assert lost.state == OperationState.SUCCEEDED and lost.attempts == 1
    assert time.monotonic() - started < 30
    assert FakeBmc.objects.get(address="10.7.1.1").power == "on"


@postgresql_only
def test_the_periodic_passes_wait_for_the_database_without_a_traceback(caplog):
    require_postgresql()
    database_allow(False)
    try:
        power_reconcile()
        power_reap()
    finally:
        database_allow(True)
    assert "power reconciler: the database is unavailable (connection to server" in caplog.text
    assert "power reaper: the database is unavailable (connection to server" in caplog.text
