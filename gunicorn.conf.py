"""gunicorn settings Bearman relies on (the command line sets bind and workers)."""

from prometheus_client import multiprocess

from bearman.heap import heap_freeze_startup


def child_exit(server, worker):
    # A dead worker's gauges must not linger in /metrics.
    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    # Django is loaded: what it loaded lives as long as the worker.
    heap_freeze_startup()
