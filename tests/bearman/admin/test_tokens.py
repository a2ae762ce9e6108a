import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def test_a_token_is_shown_once_when_made_and_never_listed(admin_client, django_user_model):
    alice = django_user_model.objects.create_user("alice")
    response = admin_client.post("/admin/bearman/apitoken/add/", {"user": alice.pk}, follow=True)
    key = Token.objects.get(user=alice).key
    assert key in response.content.decode()
    listing = admin_client.get("/admin/bearman/apitoken/")
    assert listing.status_code == 200
    assert "alice" in listing.content.decode()
    assert key not in listing.content.decode()
    assert (
        key not in admin_client.get(f"/admin/bearman/apitoken/{alice.pk}/change/").content.decode()
    )
