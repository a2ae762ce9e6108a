from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .power import PowerAction


class BulkState(models.TextChoices):
    RUNNING = "running", "Running"  # batches still to queue or to finish
    COMPLETED = "completed", "Completed"  # every node's operation was requested and finished
    STOPPED = "stopped", "Stopped"  # too many failed: the nodes left were never touched


class PowerBulk(models.Model):
    """One power action over many nodes, queued batch by batch behind a failure limit."""

    action = models.CharField(max_length=16, choices=PowerAction.choices)
    requested_by = models.CharField(max_length=150)
    # Every node it covers (ids, in order); the first `queued_count` have been requested.
    node_ids = models.JSONField(default=list)
    queued_count = models.PositiveIntegerField(default=0)
    operation_ids = models.JSONField(default=list)
    # Nodes whose request was refused at once: [{"node": uuid, "error": "…"}].
    refused = models.JSONField(default=list, blank=True)
    batch_size = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    max_failure_percent = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    state = models.CharField(max_length=16, choices=BulkState.choices, default=BulkState.RUNNING)
    stopped_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "bulk power request"

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_action_display()} on {len(self.node_ids)} nodes"
