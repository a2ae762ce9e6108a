"""Celery tasks, one module per concept; Celery's autodiscovery imports this package."""

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
]
