# The Celery app loads with Django, so `shared_task` and `transaction.on_commit` enqueues
# use its broker settings.
from .celery import app as celery_app

__all__ = ["celery_app"]
