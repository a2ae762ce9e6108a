from django.db import models
from django.db.models import Q
from django.utils import timezone


class PowerAction(models.TextChoices):
    ON = "on", "Power on"
    OFF = "off", "Power off"
    SOFT_OFF = "soft_off", "Soft off"
    RESET = "reset", "Reset"
    CYCLE = "cycle", "Power cycle"
    BOOT_NETWORK = "boot_network", "Boot from network next"
    BOOT_DISK = "boot_disk", "Boot from disk next"
    STATUS = "status", "Refresh power state"


# Done twice, these would hit the machine twice: never retried after the BMC took them.
NOT_REPEATABLE = frozenset({PowerAction.RESET, PowerAction.CYCLE})


class OperationState(models.TextChoices):
    PENDING = "pending", "Pending"  # queued for a worker
    RUNNING = "running", "Running"  # a worker is talking to the BMC
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


IN_FLIGHT = (OperationState.PENDING, OperationState.RUNNING)


class PowerOperation(models.Model):
    """One power request for one node: who asked, what happened, when."""

    node = models.ForeignKey(
        "bearman.Node", on_delete=models.CASCADE, related_name="power_operations"
    )
    action = models.CharField(max_length=16, choices=PowerAction.choices)
    requested_by = models.CharField(max_length=150)
    state = models.CharField(
        max_length=16, choices=OperationState.choices, default=OperationState.PENDING
    )
    result = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the reaper gives up on a RUNNING attempt whose worker vanished.
    deadline_at = models.DateTimeField(null=True, blank=True)
    # The bulk request that queued it, if any: its end may start the request's next batch.
    bulk_request = models.ForeignKey(
        "bearman.PowerBulk", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [
            models.Index(fields=["node", "-queued_at"], name="power_op_node_recent"),
            models.Index(fields=["state", "deadline_at"], name="power_op_state_deadline"),
        ]
        constraints = [
            # The one-in-flight rule, kept by the database under any concurrency.
            models.UniqueConstraint(
                fields=["node"],
                condition=Q(state__in=IN_FLIGHT),
                name="power_op_one_in_flight_per_node",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_action_display()} ({self.get_state_display()})"


class FakeBmc(models.Model):
    """The machine behind a BMC of the fake driver: development without hardware."""

    address = models.CharField(max_length=255)
    port = models.PositiveIntegerField()
    power = models.CharField(max_length=8, default="off")
    boot_device = models.CharField(max_length=16, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "fake BMC"
        constraints = [
            models.UniqueConstraint(fields=["address", "port"], name="fake_bmc_unique_address")
        ]

    def __str__(self) -> str:
        return f"fake BMC {self.address}:{self.port}"
