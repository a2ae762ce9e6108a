from django.db import models
from django.utils import timezone


class EventKind(models.TextChoices):
    REGISTERED = "registered", "Registered"
    DISCOVERED = "discovered", "Discovered (awaiting acceptance)"
    REGISTRATION_REFUSED = "registration_refused", "Registration refused"
    REREGISTRATION_ARMED = "reregistration_armed", "Re-registration armed"
    BMC_CONFIGURED = "bmc_configured", "BMC configured"
    NODE_STATUS = "node_status", "Node status changed"
    BAREMETAL = "baremetal", "Baremetal status changed"
    POWER = "power", "Power operation"
    FAILURE = "failure", "Failure"
    NOTE = "note", "Note"


class Event(models.Model):
    """An append-only record of something that happened to a node: who, what, when."""

    node = models.ForeignKey("bearman.Node", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    message = models.TextField()
    actor = models.CharField(max_length=150, help_text="user name, 'agent' or 'system'")
    created_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["node", "-created_at"], name="event_node_recent")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind}: {self.message}"
