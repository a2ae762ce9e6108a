"""`manage.py drf_create_token USER`: DRF's familiar command, issuing a hashed API token."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from bearman.services.api_tokens import api_token_issue


class Command(BaseCommand):
    help = (
        "Issue a REST API token for USER and print its key once (only a hash is stored; "
        "a lost key cannot be shown again: issue a new one and delete the old in the admin)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--days", type=int, default=None, help="expire after this many days (default: never)"
        )

    def handle(self, *args, username, days, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        expiry = None if days is None else timezone.now() + timedelta(days=days)
        _token, key = api_token_issue(user=user, expiry=expiry)
        self.stdout.write(key)
