"""factory_boy factories for IPman; pools are made by the service, as operators make them."""

import ipaddress

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from bearman.services.api_tokens import api_token_issue
from ipman.models import Pool, PoolPurpose
from ipman.services import pool_create


class PoolFactory(factory.django.DjangoModelFactory):
    """A /24 of its own (10.<n>.<n>.0/24) with its first host as the gateway."""

    class Meta:
        model = Pool

    name = factory.Sequence(lambda n: f"pool-{n}")
    network = factory.Sequence(lambda n: f"10.{100 + n // 256 % 100}.{n % 256}.0/24")
    gateway = factory.LazyAttribute(lambda pool: str(ipaddress.ip_network(pool.network)[1]))
    purpose = PoolPurpose.SERVICE
    availability_zone = "az1"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return pool_create(**kwargs)


def api_client(*permissions: str, username: str = "api-user") -> APIClient:
    """A client that sends `Authorization: Token <key>` for a user with `permissions`."""
    user = get_user_model().objects.create_user(username, password="Api-User-Pw-1")
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user)[1]}")
    return client
