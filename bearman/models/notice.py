from django.db import models
from django.utils import timezone


class NoticeKind(models.TextChoices):
    REGISTRATION_FAILED = "registration_failed", "Registration failed"
    BAREMETAL_FAILED = "baremetal_failed", "Baremetal failed"
    BAREMETAL_STUCK = "baremetal_stuck", "Baremetal stuck"
    BMC_UNREACHABLE = "bmc_unreachable", "BMC not answering"
    REGISTRATION_REFUSED = "registration_refused", "Known node registered again (refused)"
    BAREMETAL_CLAIMED = "baremetal_claimed", "Baremetal claimed by another caller"
    CONFORMANCE_FAILED = "conformance_failed", "Node does not conform to its flavor or plan"


class NoticeState(models.TextChoices):
    PENDING = "pending", "Waiting for the webhook"
    SENT = "sent", "Sent"
    UNDELIVERABLE = "undeliverable", "Undeliverable"


class NoticeUndeliverable(models.TextChoices):
    """Why a notice was given up on."""

    TOO_LARGE = "too_large", "Too large for the webhook"
    REFUSED = "refused", "Refused by the webhook"
    EXPIRED = "expired", "Webhook down too long"


class Notice(models.Model):
    """Something an operator must hear about, kept until the webhook has taken it."""

    node = models.ForeignKey("bearman.Node", on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=32, choices=NoticeKind.choices)
    message = models.TextField()
    ssh_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    state = models.CharField(
        max_length=16, choices=NoticeState.choices, default=NoticeState.PENDING, db_index=True
    )
    # Set by the flusher while it posts it; cleared when the webhook did not take it.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    undeliverable = models.CharField(max_length=16, choices=NoticeUndeliverable.choices, blank=True)
    undeliverable_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.node_id}"


class NoticeFlusher(models.Model):
    """The one row that makes the notice flusher exclusive and remembers the webhook's backoff.

    A flusher takes the lease with a conditional UPDATE (atomic on SQLite and PostgreSQL);
    a flusher that died lets it lapse at `leased_until`.
    """

    holder = models.CharField(max_length=64, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    # Consecutive failed posts, and when the webhook may be tried again.
    failures = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"notice flusher (failures: {self.failures})"
