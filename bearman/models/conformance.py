"""Conformance: whether a node has what its flavor and its cabling plan say it must.

Each registration, and each re-check an operator asks for, leaves one verdict with its
differences (expected against found, by rule); the newest verdict of a node is marked
`latest`, so that lists, filters and /metrics read one row per node. A waiver is an
operator accepting one difference of one node (kind and component), with who and why:
a waived difference is still recorded, but no longer fails the node.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

WAIVER_REASON_MAX = 1000


class DifferenceKind(models.TextChoices):
    """What is wrong; firmware that is too old is a kind of its own, for a firmware update."""

    CPU = "cpu", "CPU"
    MEMORY = "memory", "Memory"
    DISK_MISSING = "disk_missing", "Disk missing"
    NIC_COUNT = "nic_count", "Too few NICs"
    NIC_SLOW = "nic_slow", "NIC too slow"
    LINK_DOWN = "link_down", "Link down"
    FIRMWARE_NEEDS_UPDATE = "firmware_needs_update", "Firmware needs update"
    VERSION_NOT_UNDERSTOOD = "version_not_understood", "Version not understood"
    CABLING = "cabling", "Not cabled as planned"
    CROSSED_CABLE = "crossed_cable", "Crossed cable"


class VerdictTrigger(models.TextChoices):
    REGISTRATION = "registration", "Registration"
    RECHECK = "recheck", "Re-check"


class ConformanceVerdict(models.Model):
    """One check of one node against its flavor and cabling plan."""

    node = models.ForeignKey(
        "bearman.Node", on_delete=models.CASCADE, related_name="conformance_verdicts"
    )
    checked_at = models.DateTimeField(default=timezone.now)
    trigger = models.CharField(max_length=16, choices=VerdictTrigger.choices)
    actor = models.CharField(max_length=150)
    flavor_name = models.CharField("flavor", max_length=64, blank=True)
    passed = models.BooleanField()
    # The node's newest verdict: at most one per node.
    latest = models.BooleanField(default=True)
    # This verdict took the node out of service (to MAINTENANCE).
    held = models.BooleanField(default=False)

    class Meta:
        ordering = ["-checked_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["node"], condition=Q(latest=True), name="conformance_one_latest"
            )
        ]
        indexes = [models.Index(fields=["latest", "passed"], name="conformance_latest_passed")]

    def __str__(self) -> str:
        return f"{self.node_id}: {'passed' if self.passed else 'failed'} at {self.checked_at}"


class ConformanceWaiver(models.Model):
    """An operator accepted one difference of one node: it no longer fails the node."""

    node = models.ForeignKey(
        "bearman.Node", on_delete=models.CASCADE, related_name="conformance_waivers"
    )
    kind = models.CharField(max_length=32, choices=DifferenceKind.choices)
    component = models.CharField(max_length=64)
    reason = models.TextField(max_length=WAIVER_REASON_MAX)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["node", "kind", "component"]
        constraints = [
            models.UniqueConstraint(
                fields=["node", "kind", "component"], name="conformance_waiver_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.component} (waived by {self.created_by})"


class ConformanceDifference(models.Model):
    """One thing a node has that its flavor or plan says otherwise."""

    verdict = models.ForeignKey(
        ConformanceVerdict, on_delete=models.CASCADE, related_name="differences"
    )
    rule = models.CharField(max_length=32)
    kind = models.CharField(max_length=32, choices=DifferenceKind.choices, db_index=True)
    # What the difference is about: "cpu", "memory", "disks", "nics", a NIC's name,
    # "bios", "bmc" or "nic:<name>".
    component = models.CharField(max_length=64)
    expected = models.CharField(max_length=255)
    found = models.CharField(max_length=255)
    waiver = models.ForeignKey(
        ConformanceWaiver, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.component}): {self.expected} / {self.found}"
