from rest_framework.authtoken.models import TokenProxy


class ApiToken(TokenProxy):
    """A REST API token as the admin shows it: by its user, never by its key."""

    class Meta:
        proxy = True
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"API token of {self.user}"
