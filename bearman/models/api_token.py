from knox.models import AuthToken


class ApiToken(AuthToken):
    """A REST API token as the admin shows it: by its user; only a hash of the key is kept."""

    class Meta:
        proxy = True
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"API token of {self.user}"
