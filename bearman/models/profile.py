from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from bearman.ipxe.append import validate_append_variables
from bearman.ipxe.safety import validate_ipxe_safe
from bearman.validators import validate_sha256, validate_single_line

HTTP_URL = URLValidator(schemes=["http", "https"])


def normalise_line_endings(text: str) -> str:
    """LF only: from a browser's CRLF, `#!/bin/sh` would name the interpreter `/bin/sh<CR>`."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class BootMethod(models.TextChoices):
    KEXEC = "kexec", "kexec from the first-stage OS"
    IPXE = "ipxe", "Direct iPXE boot"


class Profile(models.Model):
    """An OS to boot: kernel, initrd, command line and install script."""

    name = models.SlugField(max_length=64, unique=True)
    description = models.CharField(max_length=255, blank=True)
    kernel_url = models.URLField(
        "kernel URL",
        max_length=500,
        blank=True,
        validators=[HTTP_URL, validate_ipxe_safe],
        help_text="http(s) address the node downloads its kernel from (a host it can reach "
        "while booting), e.g. http://images.example.net/noble/vmlinuz. Or upload the kernel "
        "below.",
    )
    kernel_artifact = models.ForeignKey(
        "bearman.BootArtifact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="An uploaded kernel, instead of a URL.",
    )
    kernel_sha256 = models.CharField(
        "kernel sha256", max_length=64, blank=True, validators=[validate_sha256]
    )
    initrd_url = models.URLField(
        "initrd URL",
        max_length=500,
        blank=True,
        validators=[HTTP_URL, validate_ipxe_safe],
        help_text="http(s) address of the initrd, e.g. http://images.example.net/noble/initrd; "
        "empty for a kernel that needs none. Or upload it below.",
    )
    initrd_artifact = models.ForeignKey(
        "bearman.BootArtifact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="An uploaded initrd, instead of a URL.",
    )
    initrd_sha256 = models.CharField(
        "initrd sha256", max_length=64, blank=True, validators=[validate_sha256]
    )
    append = models.CharField(
        "kernel command line",
        max_length=2048,
        blank=True,
        validators=[validate_single_line, validate_ipxe_safe, validate_append_variables],
        help_text="One line. Variables: {bearman_url}, {grpc}, {uuid}, {hostname}; "
        "write {{ and }} for literal braces.",
    )
    install_script = models.TextField(
        blank=True,
        help_text="Run by the agent on the node after the kernel and initrd are downloaded, "
        "before it boots them: with its #! interpreter, else /bin/sh. It gets the node's "
        "settings as BEARMAN_HOSTNAME, BEARMAN_SYSTEM_UUID, BEARMAN_ADDRESS_<i>_ADDRESS, "
        "… and all of them as BEARMAN_DETAIL_JSON. A non-zero exit fails the Baremetal "
        "with the script's last lines of stderr. Hold no secret here: the node can read it.",
    )
    boot_method = models.CharField(
        max_length=8, choices=BootMethod.choices, default=BootMethod.KEXEC
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        self.install_script = normalise_line_endings(self.install_script)
        if bool(self.kernel_url) == bool(self.kernel_artifact_id):
            raise ValidationError("Give the kernel as a URL or as an uploaded artifact (one).")
        if self.initrd_url and self.initrd_artifact_id:
            raise ValidationError("Give the initrd as a URL or as an uploaded artifact, not both.")
