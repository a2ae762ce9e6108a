from django.core.validators import RegexValidator
from django.db import models

from bearman.validators import validate_sha256

ARTIFACT_NAME = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$",
    "Letters, digits, dots, dashes and underscores, starting with a letter or digit.",
)


class BootArtifact(models.Model):
    """A file Bearman serves for booting (kernel, initrd, squashfs), at /artifacts/<name>.

    The bytes live on disk under MEDIA_ROOT/artifacts/<name> so that nginx (or Django,
    embedded) serves them without touching the database.
    """

    name = models.CharField(max_length=128, unique=True, validators=[ARTIFACT_NAME])
    description = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, validators=[validate_sha256], editable=False)
    size_bytes = models.BigIntegerField(editable=False)
    uploaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
