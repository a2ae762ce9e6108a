from django.db import models


class FreeAddress(models.Model):
    """An address below its pool's cursor that is free again (see ipman.services.free).

    Internal to IPman: claims take the lowest position first, with FOR UPDATE SKIP LOCKED,
    so concurrent allocations from one pool each take a different row.
    """

    # DO_NOTHING: ipman.services.pool_delete empties the free table before the pool goes; the
    # database constraint still refuses a pool deleted any other way while rows remain. The
    # unique constraint below starts with the pool and serves as its index.
    pool = models.ForeignKey(
        "ipman.Pool", on_delete=models.DO_NOTHING, related_name="+", db_index=False
    )
    position = models.BigIntegerField()
    address = models.GenericIPAddressField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pool", "position"], name="ipman_free_position_once"),
        ]

    def __str__(self) -> str:
        return self.address
