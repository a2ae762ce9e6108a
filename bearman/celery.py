"""The Celery app: settings from Django's (CELERY_*), tasks from bearman.tasks."""

import os

from celery import Celery, signals

from bearman.broker import use_atomic_filesystem
from bearman.heap import heap_freeze_startup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bearman.settings")

use_atomic_filesystem()
app = Celery("bearman")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_stale_connections(sender=None, **kwargs) -> None:
    """Around each task, as Django does around a request: drop a connection that is past
    CONN_MAX_AGE or was left unusable by an error (CELERY_DB_REUSE_MAX keeps the rest)."""
    if not getattr(sender.request, "is_eager", False):  # not inside the caller's transaction
        from django.db import close_old_connections

        close_old_connections()


@signals.worker_process_init.connect
def freeze_startup_heap(**kwargs) -> None:
    """Each pool process, once forked: what the worker loaded lives as long as it does."""
    heap_freeze_startup()
