from django.db import models
from django.utils import timezone

from ipman.validators import OWNER_MAX_LENGTH, validate_note, validate_owner


class Allocation(models.Model):
    """One address of a pool held by one owner (a key such as node/<uuid>/ipmi)."""

    # PROTECT: a pool with allocations is never deleted from under its owners. No index of
    # its own: the unique constraints below start with the pool and serve its lookups. No
    # database constraint either: checking it locks the pool's row (FOR KEY SHARE) on every
    # allocation, and with many claims on one pool at once that shared lock costs more than
    # the rest of the row. pool_delete keeps the rule instead (ipman.services.pools).
    pool = models.ForeignKey(
        "ipman.Pool",
        on_delete=models.PROTECT,
        related_name="allocations",
        db_index=False,
        db_constraint=False,
    )
    address = models.GenericIPAddressField()
    owner = models.CharField(max_length=OWNER_MAX_LENGTH, validators=[validate_owner])
    note = models.CharField(max_length=255, blank=True, validators=[validate_note])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # The guarantee under every code path: an address is handed out once per pool…
            models.UniqueConstraint(fields=["pool", "address"], name="ipman_address_once"),
            # …and an owner holds one address per pool, which makes allocation idempotent.
            models.UniqueConstraint(fields=["pool", "owner"], name="ipman_owner_once"),
        ]

    def __str__(self) -> str:
        return f"{self.address} → {self.owner}"
