"""REST API tokens: the key is handed out once; the database keeps only its hash (knox)."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from bearman.models import ApiToken


def api_token_issue(*, user: AbstractBaseUser, expiry: datetime | None = None):
    """A new token for `user`, working until `expiry` (None: until deleted); (row, key)."""
    if expiry is not None and expiry <= timezone.now():
        raise ValueError("the expiry must be in the future")
    lifetime = None if expiry is None else expiry - timezone.now()
    return ApiToken.objects.create(user=user, expiry=lifetime)
