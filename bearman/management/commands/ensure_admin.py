import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the superuser 'admin' if it does not exist. Its password comes from "
        "BEARMAN_ADMIN_PASSWORD, else one is generated and printed this once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        users = get_user_model()
        if users.objects.filter(username=username).exists():
            self.stdout.write(
                f"Admin user '{username}' exists; its password is unchanged "
                f"(reset it with: python manage.py changepassword {username})."
            )
            return
        given = os.environ.get("BEARMAN_ADMIN_PASSWORD", "")
        password = given or secrets.token_urlsafe(12)
        users.objects.create_superuser(username=username, email="", password=password)
        if given:
            self.stdout.write(f"Created admin user '{username}' with BEARMAN_ADMIN_PASSWORD.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created admin user '{username}' with password: {password}\n"
                    "It is shown only this once."
                )
            )
