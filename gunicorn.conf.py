"""gunicorn settings Bearman relies on (the command line sets bind and workers)."""

# First, before prometheus_client is imported anywhere in this process: importing the
# settings puts PROMETHEUS_MULTIPROC_DIR into the environment, and prometheus_client picks
# per-process files (or memory only) once, at import. The workers are forked from this
# master and inherit both its environment and its imported modules.
from bearman.settings.observability import PROMETHEUS_MULTIPROC_DIR  # isort: skip

from prometheus_client import multiprocess

from bearman.heap import heap_freeze_startup


def child_exit(server, worker):
    # A dead worker's gauges must not linger in /metrics. Nothing may escape this hook:
    # an exception here ends the master, and the web service with it.
    try:
        multiprocess.mark_process_dead(worker.pid, PROMETHEUS_MULTIPROC_DIR)
    except Exception:  # noqa: BLE001 - logged; replacing the worker matters more
        server.log.exception("could not clear the metrics of worker %s", worker.pid)


def post_worker_init(worker):
    # Django is loaded: what it loaded lives as long as the worker.
    heap_freeze_startup()
