from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from bearman.validators import validate_single_line


class BondMode(models.TextChoices):
    NONE = "none", "No bond"
    ACTIVE_BACKUP = "active-backup", "active-backup"
    LACP = "802.3ad", "802.3ad (LACP)"
    BALANCE_XOR = "balance-xor", "balance-xor"


def validate_pool_names(value) -> None:
    if not isinstance(value, list) or not all(isinstance(n, str) and n for n in value):
        raise ValidationError('Service pools are a list of IPman pool names, e.g. ["svc-az1"].')


class Flavor(models.Model):
    """What a machine is for (compute, storage, …): its default OS and its networks."""

    name = models.SlugField(max_length=64, unique=True)
    description = models.CharField(max_length=255, blank=True)
    default_profile = models.ForeignKey(
        "bearman.Profile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # IPman pools by name: Bearman asks IPman's services, it never joins IPman's tables.
    service_pools = models.JSONField(default=list, blank=True, validators=[validate_pool_names])
    vlan = models.PositiveSmallIntegerField(
        "VLAN", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4094)]
    )
    bond_mode = models.CharField(max_length=16, choices=BondMode.choices, default=BondMode.NONE)
    bond_options = models.CharField(
        max_length=255,
        blank=True,
        validators=[validate_single_line],
        help_text="e.g. miimon=100 lacp_rate=fast",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
