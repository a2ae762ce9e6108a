"""REST API tokens: shown once when made, stored only as a hash, old keys kept working."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def table_text(table: str) -> str:
    """Every value of every row of `table`, as one string."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        return repr(cursor.fetchall())


def works(key: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/nodes/").status_code == 200


def test_a_token_is_shown_once_when_made_and_never_listed(admin_client, django_user_model):
    alice = django_user_model.objects.create_superuser("alice")
    response = admin_client.post(
        "/admin/bearman/apitoken/add/", {"user": alice.pk, "expiry": ""}, follow=True
    )
    page = response.content.decode()
    assert "copy it now" in page
    key = page.split(f"API token for {alice}: ")[1].split(" ")[0]
    assert works(key)
    listing = admin_client.get("/admin/bearman/apitoken/").content.decode()
    assert "alice" in listing
    assert key not in listing
    token = AuthToken.objects.get(user=alice)
    detail = admin_client.get(f"/admin/bearman/apitoken/{token.pk}/change/").content.decode()
    assert key not in detail
    assert key not in table_text(AuthToken._meta.db_table)


def test_drf_create_token_prints_a_working_key_that_is_not_stored(django_user_model):
    django_user_model.objects.create_superuser("bob")
    out = io.StringIO()
    call_command("drf_create_token", "bob", "--days", "30", stdout=out)
    key = out.getvalue().strip()
    assert works(key)
    assert key not in table_text(AuthToken._meta.db_table)
    assert AuthToken.objects.get(user__username="bob").expiry is not None


def test_drf_create_token_refuses_an_unknown_user_and_a_bad_lifetime(django_user_model):
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("drf_create_token", "nobody")
    django_user_model.objects.create_user("carol")
    with pytest.raises(CommandError, match="--days must be at least 1"):
        call_command("drf_create_token", "carol", "--days", "0")
    assert not AuthToken.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_keys_issued_before_hashing_keep_working_and_leave_no_clear_copy(django_user_model):
    executor = MigrationExecutor(connection)
    before = [("bearman", "0007_power_bulk")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    user = old_apps.get_model("auth", "User").objects.create(username="dave", is_superuser=True)
    key = "0123456789abcdef0123456789abcdef01234567"  # DRF's 40 hex characters
    old_apps.get_model("authtoken", "Token").objects.create(key=key, user_id=user.pk)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert works(key)
    assert table_text("authtoken_token") == "[]"
    assert key not in table_text(AuthToken._meta.db_table)
