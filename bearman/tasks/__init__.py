"""Celery tasks, one module per concept; Celery's autodiscovery imports this package."""

from . import zones  # the worker's choice of queues (BEARMAN_WORKER_ZONES)
from .notify import notices_flush, operations_deadlines
from .power import (
    power_bulk_advance,
    power_operation,
    power_operations_queue,
    power_reap,
    power_sync,
    power_sync_batch,
)

__all__ = [
    "notices_flush",
    "operations_deadlines",
    "power_bulk_advance",
    "power_operation",
    "power_operations_queue",
    "power_reap",
    "power_sync",
    "power_sync_batch",
    "zones",
]
