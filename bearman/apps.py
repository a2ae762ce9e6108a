from django.apps import AppConfig


class BearmanConfig(AppConfig):
    name = "bearman"
    verbose_name = "Bearman inventory"

    def ready(self):
        # The Celery app loads with Django, so `shared_task` and `transaction.on_commit`
        # enqueues use its broker settings.
        from . import celery  # noqa: F401
