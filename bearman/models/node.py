from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from bearman.states import NodeStatus
from bearman.validators import RACK_POSITION_MAX, validate_bmc_options, validate_rack_position

from .fields import SystemUuidField


class PowerState(models.TextChoices):
    ON = "on", "On"
    OFF = "off", "Off"
    UNKNOWN = "unknown", "Unknown"


class BmcDriver(models.TextChoices):
    IPMI = "ipmi", "IPMI v2.0 (lanplus)"
    REDFISH = "redfish", "Redfish"
    FAKE = "fake", "Fake (development)"


class Node(models.Model):
    """One physical server, known by its SMBIOS system UUID."""

    uuid = SystemUuidField("system UUID", unique=True)
    serial = models.CharField(max_length=128, blank=True)
    vendor = models.CharField(max_length=128, blank=True)
    product_name = models.CharField(max_length=128, blank=True)
    flavor = models.ForeignKey(
        "bearman.Flavor", null=True, blank=True, on_delete=models.SET_NULL, related_name="nodes"
    )
    availability_zone = models.CharField(max_length=64, default="default")
    # Where the machine sits; the cabling plan may name the node by it (bearman.models.cabling).
    rack_position = models.CharField(
        max_length=RACK_POSITION_MAX,
        blank=True,
        validators=[validate_rack_position],
        help_text="Where the machine sits, e.g. dc1-r12-u07 (unique when set).",
    )

    bmc_driver = models.CharField(
        "BMC driver", max_length=16, choices=BmcDriver.choices, default=BmcDriver.IPMI
    )
    bmc_address = models.GenericIPAddressField("IPMI IP", null=True, blank=True, db_index=True)
    bmc_port = models.PositiveIntegerField(
        "BMC port", default=623, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    bmc_username = models.CharField("BMC user", max_length=64, blank=True)
    # A Fernet token (bearman.crypto); never shown, only replaced.
    bmc_password_encrypted = models.TextField(blank=True, editable=False)
    bmc_options = models.JSONField(
        "BMC options",
        default=dict,
        blank=True,
        validators=[validate_bmc_options],
        help_text='Driver options, e.g. {"cipher_suite": 3} or {"system_id": "1", '
        '"verify_tls": false}.',
    )

    status = models.CharField(
        max_length=16, choices=NodeStatus.choices(), default=NodeStatus.REGISTERED
    )
    power_state = models.CharField(
        max_length=8, choices=PowerState.choices, default=PowerState.UNKNOWN
    )
    power_state_at = models.DateTimeField("power state seen", null=True, blank=True)

    facts = models.JSONField(default=dict, blank=True)
    # Every MAC in the facts, space-separated, so the admin can search by MAC on any database.
    mac_addresses = models.TextField(blank=True, editable=False)

    first_registered_at = models.DateTimeField(null=True, blank=True)
    last_registered_at = models.DateTimeField(null=True, blank=True)
    # The gRPC peer that made this node: new nodes per source are rate-limited on it.
    created_from = models.GenericIPAddressField("first seen from", null=True, blank=True)
    # Set by an operator: until then, one registration of this known node is let through
    # (and uses it up); otherwise a known node registering again is refused.
    reregistration_armed_until = models.DateTimeField(
        "re-registration armed until", null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["uuid"]
        # Plain indexes: db_index=True would add a second (LIKE) index to each text column on
        # PostgreSQL, which no query uses (searches are case-insensitive) and every
        # registration's write would pay for.
        indexes = [
            models.Index(fields=["serial"], name="node_serial"),
            models.Index(fields=["vendor"], name="node_vendor"),
            models.Index(fields=["availability_zone"], name="node_zone"),
            models.Index(fields=["status"], name="node_status"),
            models.Index(fields=["power_state"], name="node_power_state"),
            # Counting new registrations in a window, everyone's and one source's.
            models.Index(fields=["created_at"], name="node_created"),
            models.Index(fields=["created_from", "created_at"], name="node_created_from"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["rack_position"],
                condition=~models.Q(rack_position=""),
                name="node_rack_position_unique",
                violation_error_message="Another node already sits at this rack position.",
            ),
        ]
        permissions = [("operate_power", "Can operate node power")]

    def __str__(self) -> str:
        return self.uuid

    @property
    def has_bmc_password(self) -> bool:
        return bool(self.bmc_password_encrypted)
