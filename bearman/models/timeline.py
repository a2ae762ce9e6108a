"""The boot timeline: each step of a Baremetal or a registration, recorded once as it happens."""

from django.db import models
from django.utils import timezone

from .fields import SystemUuidField


class BootFlow(models.TextChoices):
    """Which run a step belongs to: the node's current Baremetal or its registration."""

    BAREMETAL = "baremetal", "Baremetal"
    REGISTRATION = "registration", "Registration"


class BootStepName(models.TextChoices):
    """One thing a booting node did, or Bearman did to it; in the order they happen."""

    POWERED_ON = "powered_on", "Bearman powered the node on"
    IPXE_FETCHED = "ipxe_fetched", "Firmware fetched its iPXE script"
    REGISTERED = "registered", "Register called"
    BMC_CONFIGURED = "bmc_configured", "Agent configured the BMC"
    POWERING_OFF = "powering_off", "Agent powered the node off"
    BMC_ANSWERED = "bmc_answered", "BMC answered Bearman"
    PROFILE_CLAIMED = "profile_claimed", "First stage called GetProfile"
    DETAIL_FETCHED = "detail_fetched", "Agent called GetDetail"
    ARTIFACTS_DOWNLOADED = "artifacts_downloaded", "Artifacts downloaded"
    INSTALL_STARTED = "install_started", "Install script started"
    INSTALLED = "installed", "ReportInstalled"
    FAILED = "failed", "ReportFailed"


class BootStep(models.Model):
    """A step of one run; a run holds each step at most once (the first occurrence wins).

    Keyed by the system UUID, not the node: a registration's first step (the iPXE fetch of
    an unknown machine) comes before the node exists. A new run (a redeploy, a registration
    started over) clears the old run's steps first.
    """

    # Found by the unique constraint's index, which starts with it: no index of its own.
    node_uuid = SystemUuidField("system UUID")
    flow = models.CharField(max_length=16, choices=BootFlow.choices)
    baremetal = models.ForeignKey(
        "bearman.Baremetal",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="boot_steps",
    )
    step = models.CharField(max_length=24, choices=BootStepName.choices)
    at = models.DateTimeField(default=timezone.now)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["node_uuid", "flow", "step"], name="boot_step_once")
        ]

    def __str__(self) -> str:
        return f"{self.node_uuid} {self.flow} {self.step} at {self.at:%Y-%m-%d %H:%M:%S}"
