"""gunicorn settings Bearman relies on (the command line sets bind and workers)."""

from prometheus_client import multiprocess


def child_exit(server, worker):
    # A dead worker's gauges must not linger in /metrics.
    multiprocess.mark_process_dead(worker.pid)
