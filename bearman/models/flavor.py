import fnmatch
import re
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from bearman.firmware_versions import VersionNotUnderstood, version_parse
from bearman.validators import validate_single_line

# The components a flavor may set a firmware minimum for, as the facts name them.
FIRMWARE_COMPONENTS = ("bios", "bmc", "nic")
CPU_PATTERN_MAX = 200


class BondMode(models.TextChoices):
    NONE = "none", "No bond"
    ACTIVE_BACKUP = "active-backup", "active-backup"
    LACP = "802.3ad", "802.3ad (LACP)"
    BALANCE_XOR = "balance-xor", "balance-xor"


def validate_pool_names(value) -> None:
    if not isinstance(value, list) or not all(isinstance(n, str) and n for n in value):
        raise ValidationError('Service pools are a list of IPman pool names, e.g. ["svc-az1"].')


class DiskKind(models.TextChoices):
    ANY = "", "Any kind"
    SSD = "ssd", "SSD (SATA or SAS, not rotating)"
    HDD = "hdd", "HDD (rotating)"
    NVME = "nvme", "NVMe"


@lru_cache(maxsize=256)
def cpu_pattern_regex(pattern: str) -> re.Pattern:
    """The regex of a CPU model pattern: `/…/` is a regular expression, else a glob.

    Both match case-insensitively (use `search`): a glob the whole model, a regex anywhere.
    """
    if len(pattern) > 2 and pattern.startswith("/") and pattern.endswith("/"):
        return re.compile(pattern[1:-1], re.IGNORECASE)
    return re.compile("^" + fnmatch.translate(pattern), re.IGNORECASE)


def validate_cpu_model_pattern(value: str) -> None:
    if len(value) > CPU_PATTERN_MAX:
        raise ValidationError(f"A CPU model pattern has at most {CPU_PATTERN_MAX} characters.")
    try:
        cpu_pattern_regex(value)
    except re.error as error:
        raise ValidationError(f"Not a regular expression: {error}.") from None


def validate_firmware_minimums(value) -> None:
    example = '{"bios": "2.19.1", "bmc": "iDRAC 4.40.00.00", "nic": "22.31.6"}'
    if not isinstance(value, dict):
        raise ValidationError(f"Firmware minimums are an object, e.g. {example}.")
    for component, minimum in value.items():
        if component not in FIRMWARE_COMPONENTS:
            raise ValidationError(
                f"Unknown firmware component {str(component)[:32]!r}: use "
                f"{', '.join(FIRMWARE_COMPONENTS)}, e.g. {example}."
            )
        try:
            version_parse(minimum)
        except VersionNotUnderstood as error:
            raise ValidationError(f"Firmware minimum for {component}: {error}.") from None


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

    # What every node of this flavor must have (conformance, checked at registration and
    # on request); an empty expectation is not checked.
    cpu_model_pattern = models.CharField(
        "CPU model pattern",
        max_length=CPU_PATTERN_MAX,
        blank=True,
        validators=[validate_single_line, validate_cpu_model_pattern],
        help_text="A glob matching the whole model, e.g. *Xeon*Gold 62*, or /a regex/.",
    )
    cpu_min_cores = models.PositiveIntegerField("minimum CPU cores", null=True, blank=True)
    memory_gib = models.PositiveIntegerField(
        "memory (GiB)", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    memory_tolerance_percent = models.PositiveSmallIntegerField(
        "memory tolerance (%)",
        default=5,
        validators=[MaxValueValidator(50)],
        help_text="The kernel reports a little less than is installed.",
    )
    disk_count = models.PositiveSmallIntegerField("minimum disks", null=True, blank=True)
    disk_kind = models.CharField(max_length=8, choices=DiskKind.choices, blank=True)
    disk_min_gb = models.PositiveIntegerField(
        "minimum disk size (GB)",
        null=True,
        blank=True,
        help_text="In GB of 10⁹ bytes, as disks are sold.",
    )
    nic_count = models.PositiveSmallIntegerField("minimum NICs", null=True, blank=True)
    nic_min_speed_mbps = models.PositiveIntegerField(
        "minimum NIC speed (Mb/s)", null=True, blank=True
    )
    nic_link_required = models.BooleanField(
        "NIC link required",
        default=False,
        help_text="Each NIC (the cabling plan's NICs when the node has a plan) must have link.",
    )
    firmware_minimums = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_firmware_minimums],
        help_text='Oldest acceptable versions, e.g. {"bios": "2.19.1", "bmc": "4.40"}.',
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
