from django.db import models
from django.utils import timezone


class NoticeKind(models.TextChoices):
    REGISTRATION_FAILED = "registration_failed", "Registration failed"
    DEPLOYMENT_FAILED = "deployment_failed", "Deployment failed"
    DEPLOYMENT_STUCK = "deployment_stuck", "Deployment stuck"
    BMC_UNREACHABLE = "bmc_unreachable", "BMC not answering"
    REGISTRATION_REFUSED = "registration_refused", "Known node registered again (refused)"
    DEPLOYMENT_CLAIMED = "deployment_claimed", "Deployment claimed by another caller"


class Notice(models.Model):
    """Something an operator must hear about, kept until the webhook has taken it."""

    node = models.ForeignKey("bearman.Node", on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=32, choices=NoticeKind.choices)
    message = models.TextField()
    ssh_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Set by the worker that is sending it; cleared when the webhook refused it.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.node_id}"
