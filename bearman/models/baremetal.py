from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from bearman.states import DeployStatus
from bearman.validators import validate_hostname

# The column that records when a Baremetal entered each status.
STATUS_TIMESTAMP_FIELDS = {
    DeployStatus.DEPLOY_START: "deploy_started_at",
    DeployStatus.DEPLOYING: "deploying_at",
    DeployStatus.INSTALLED: "installed_at",
    DeployStatus.UNRECOVERABLE_ERROR: "failed_at",
}


class Baremetal(models.Model):
    """A Profile deployed on a Node (at most one per node)."""

    node = models.OneToOneField("bearman.Node", on_delete=models.CASCADE, related_name="baremetal")
    profile = models.ForeignKey("bearman.Profile", on_delete=models.PROTECT, related_name="+")
    hostname = models.CharField(max_length=253, unique=True, validators=[validate_hostname])
    status = models.CharField(
        max_length=24,
        choices=DeployStatus.choices(),
        default=DeployStatus.DEPLOY_START,
        db_index=True,
        editable=True,
    )
    # [{"interface": "bond0", "address": "10.0.0.5", "prefix": 24, "gateway": "10.0.0.1",
    #   "pool": "svc-az1"}], from IPman.
    addresses = models.JSONField(default=list, blank=True)
    vlan = models.PositiveSmallIntegerField(
        "VLAN", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4094)]
    )
    last_error = models.TextField(blank=True)
    # sha256 of the agent token GetProfile handed out for this run; never the token.
    agent_token_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    # The gRPC peer that claimed this run with GetProfile (the first caller wins; a second
    # one fails the Baremetal and names both).
    claimed_from = models.GenericIPAddressField(null=True, blank=True, editable=False)
    deploy_started_at = models.DateTimeField(null=True, blank=True)
    deploying_at = models.DateTimeField(null=True, blank=True)
    detail_at = models.DateTimeField("detail fetched at", null=True, blank=True)
    installed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["hostname"]

    def __str__(self) -> str:
        return self.hostname
