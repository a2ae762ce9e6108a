from django.apps import AppConfig


class BearmanConfig(AppConfig):
    name = "bearman"
    verbose_name = "Bearman inventory"

    def ready(self):
        # The Celery app loads with Django, so `shared_task` and `transaction.on_commit`
        # enqueues use its broker settings.
        from . import celery  # noqa: F401

        _unregister_token_admins()


def _unregister_token_admins():
    """Leave API tokens to our admin (bearman.admin.tokens).

    DRF's authtoken admin lists keys in clear (its table is empty: the keys moved to knox's
    hashed table); knox's lists digests. Both apps come after ours, so their admins are
    registered after our admin module ran: undo them here.
    """
    from django.contrib import admin
    from knox.models import AuthToken
    from rest_framework.authtoken.models import TokenProxy

    for model in (TokenProxy, AuthToken):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
