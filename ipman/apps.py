from django.apps import AppConfig


class IpmanConfig(AppConfig):
    name = "ipman"
    verbose_name = "IPman"
