from django.db import models


class FreeAddress(models.Model):
    """A free address in its pool's window, waiting to be claimed (see ipman.services.window).

    Internal to IPman: the allocator claims the lowest position with FOR UPDATE SKIP LOCKED,
    so concurrent allocations from one pool each take a different row.
    """

    # DO_NOTHING: ipman.services.pool_delete empties the window before the pool goes; the
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
