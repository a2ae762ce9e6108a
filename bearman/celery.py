"""The Celery app: settings from Django's (CELERY_*), tasks from bearman.tasks."""

import os

from celery import Celery

from bearman.broker import use_atomic_filesystem

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bearman.settings")

use_atomic_filesystem()
app = Celery("bearman")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
