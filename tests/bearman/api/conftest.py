"""API test fixtures: users with exactly the permissions a test names, and a watchful client."""

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from bearman.services.api_tokens import api_token_issue

BMC_PASSWORD = "Bmc-Secret-7f3a9c"
ALL_PERMISSIONS = [
    f"{app}.{verb}_{model}"
    for app, model in [
        ("bearman", "node"),
        ("bearman", "flavor"),
        ("bearman", "profile"),
        ("bearman", "baremetal"),
        ("bearman", "event"),
        ("bearman", "poweroperation"),
        ("bearman", "cablinglink"),
        ("bearman", "conformanceverdict"),
        ("bearman", "conformancewaiver"),
        ("ipman", "pool"),
        ("ipman", "allocation"),
    ]
    for verb in ("view", "add", "change", "delete")
] + ["bearman.operate_power"]
READ_ONLY = [f"bearman.view_{m}" for m in ("node", "flavor", "profile", "baremetal", "event")]


class WatchfulClient(APIClient):
    """An API client that fails the test when any answer carries a secret it knows."""

    def __init__(self, secrets: list[str], **kwargs):
        super().__init__(**kwargs)
        self.secrets = secrets

    def request(self, **kwargs):
        response = super().request(**kwargs)
        body = response.content.decode(errors="replace")
        for secret in self.secrets:
            assert secret not in body, f"an API answer contains a secret: {body[:300]}"
        return response


def user_with(django_user_model, name: str, perms: list[str]):
    user = django_user_model.objects.create_user(name, password="Not-Used-Here-1")
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


@pytest.fixture
def client_for(django_user_model):
    """client_for(perms) → a client authenticated by token as a user with those perms."""
    made = []

    def make(perms: list[str], name: str | None = None) -> WatchfulClient:
        user = user_with(django_user_model, name or f"user{len(made)}", perms)
        _token, key = api_token_issue(user=user)
        made.append(key)
        client = WatchfulClient(secrets=[BMC_PASSWORD, *made])
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        client.user = user
        return client

    return make


@pytest.fixture
def operator(client_for):
    """Someone allowed everything Bearman's API offers."""
    return client_for(ALL_PERMISSIONS, name="operator")


@pytest.fixture
def reader(client_for):
    """Someone who may look at everything and change nothing."""
    return client_for(READ_ONLY, name="reader")


@pytest.fixture
def anonymous():
    return WatchfulClient(secrets=[BMC_PASSWORD])


def error_of(response) -> dict:
    """The `error` object of an error answer (and a check of the body's shape)."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    return body["error"]
