from django.db import models


class BreakerState(models.TextChoices):
    """Whether Bearman still talks to a BMC (bearman.services.power.pacing)."""

    CLOSED = "closed", "Closed"  # answering, or failing fewer times in a row than the limit
    OPEN = "open", "Open"  # failed too often in a row: left alone until its next try
    HALF_OPEN = "half_open", "Half-open"  # its next try is due: one command may probe it


class BmcHealth(models.Model):
    """One BMC (address and port) as every worker process sees it: when it may be sent
    its next command, and how it has been failing (its circuit breaker)."""

    address = models.CharField(max_length=255)
    port = models.PositiveIntegerField()
    # No command may start before this: the end of the last one plus the minimum
    # interval, or, while one runs, the end of its lease (a worker that died frees it).
    next_command_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)  # in a row; a success clears them
    failing_since = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)  # open breaker: its next try
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "BMC health"
        verbose_name_plural = "BMC health"
        constraints = [
            models.UniqueConstraint(fields=["address", "port"], name="bmc_health_one_per_bmc")
        ]

    def __str__(self) -> str:
        return f"BMC {self.address}:{self.port}"
