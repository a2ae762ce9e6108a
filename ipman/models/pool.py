from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from ipman.space import (
    AddressSpace,
    format_reserved,
    parse_network,
    parse_reserved,
    settings_errors,
)

# The settings that decide which addresses a pool hands out.
SPACE_FIELDS = ("network", "gateway", "range_first", "range_last", "reserved")


class PoolPurpose(models.TextChoices):
    IPMI = "ipmi", "IPMI (BMC)"
    SERVICE = "service", "Service"
    PROVISIONING = "provisioning", "Provisioning"


class Pool(models.Model):
    """A network IPman hands addresses out of, for one purpose in one availability zone."""

    name = models.SlugField(max_length=64, unique=True)
    description = models.CharField(max_length=255, blank=True)
    purpose = models.CharField(max_length=16, choices=PoolPurpose.choices)
    availability_zone = models.CharField(max_length=64, default="default")
    network = models.CharField(max_length=43, help_text="CIDR, e.g. 10.20.0.0/24 or 2001:db8::/64")
    gateway = models.GenericIPAddressField(null=True, blank=True)
    vlan = models.PositiveSmallIntegerField(
        "VLAN", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4094)]
    )
    range_first = models.GenericIPAddressField(
        "usable range start", null=True, blank=True, help_text="Empty: the network's first host."
    )
    range_last = models.GenericIPAddressField(
        "usable range end", null=True, blank=True, help_text="Empty: the network's last host."
    )
    reserved = models.JSONField(
        default=list,
        blank=True,
        help_text="Addresses (10.0.0.5), ranges (10.0.0.10-10.0.0.20) and subnets (10.0.0.16/28) "
        "never handed out.",
    )
    # Allocation bookkeeping (ipman.services.cursor and ipman.services.free): the next
    # position never handed out (SQLite's cursor; PostgreSQL keeps it in a sequence), how far
    # the positions behind it were checked for lost ones, and the version of the address
    # settings, which names the PostgreSQL cursor of those settings.
    next_position = models.BigIntegerField(default=0, editable=False)
    swept_through = models.BigIntegerField(default=0, editable=False)
    version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["purpose", "availability_zone"], name="ipman_pool_serves")]

    def __str__(self) -> str:
        return self.name

    @property
    def space(self) -> AddressSpace:
        """The addresses this pool hands out, in order (rebuilt when its settings change)."""
        # The reserved list is compared as text: a list changed in place must count too.
        key = (self.network, self.gateway, self.range_first, self.range_last, str(self.reserved))
        if getattr(self, "_space_key", None) != key:
            self._space = AddressSpace.of(
                network=self.network,
                range_first=self.range_first,
                range_last=self.range_last,
                gateway=self.gateway,
                reserved=self.reserved,
            )
            self._space_key = key
        return self._space

    def clean(self):
        if not isinstance(self.reserved, list):
            raise ValidationError({"reserved": "Reserved addresses are a list of strings."})
        errors = settings_errors(
            network=self.network,
            range_first=self.range_first,
            range_last=self.range_last,
            gateway=self.gateway,
            reserved=self.reserved,
        )
        if errors:
            raise ValidationError(errors)
        self._canonicalise()
        errors = {**self._overlap_errors(), **self._network_change_errors()}
        if errors:
            raise ValidationError(errors)

    def _canonicalise(self) -> None:
        network = parse_network(self.network)
        self.network = str(network)
        self.reserved = [format_reserved(*parse_reserved(e, network)) for e in self.reserved]

    def _overlap_errors(self) -> dict[str, str]:
        network = parse_network(self.network)
        for other in Pool.objects.exclude(pk=self.pk).only("name", "network"):
            theirs = parse_network(other.network)
            if theirs.version == network.version and theirs.overlaps(network):
                return {"network": f"{network} overlaps pool {other.name} ({theirs})."}
        return {}

    def _network_change_errors(self) -> dict[str, str]:
        if self.pk is None:
            return {}
        stored = Pool.objects.filter(pk=self.pk).values_list("network", flat=True).first()
        held = self.allocations.count() if stored and stored != self.network else 0
        if held:
            return {
                "network": f"The network cannot change while the pool has {held} allocations "
                f"(it is {stored}); release them first."
            }
        return {}
