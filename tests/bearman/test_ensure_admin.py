from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run(**env) -> str:
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    return out.getvalue()


def test_generated_password_is_printed_once_and_logs_in(monkeypatch):
    monkeypatch.delenv("BEARMAN_ADMIN_PASSWORD", raising=False)
    first = run()
    password = first.split("password: ")[1].split()[0]
    assert authenticate(username="admin", password=password).is_superuser
    second = run()
    assert password not in second and "unchanged" in second


def test_password_from_the_environment_is_used_and_not_printed(monkeypatch):
    monkeypatch.setenv("BEARMAN_ADMIN_PASSWORD", "Given-Admin-Pw-9")
    output = run()
    assert "Given-Admin-Pw-9" not in output
    assert authenticate(username="admin", password="Given-Admin-Pw-9") is not None
