from django.apps import AppConfig


class BearmanConfig(AppConfig):
    name = "bearman"
    verbose_name = "Bearman inventory"
