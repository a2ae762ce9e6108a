from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bearman.models import Baremetal, BreakerState, Flavor, Node
from bearman.services.power.pacing import bmc_breaker_of
from bearman.states import NodeStatus

from .validation import JsonTypesMixin


class BaremetalSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Baremetal
        fields = ["id", "hostname", "status"]


class NodeSerializer(JsonTypesMixin, serializers.ModelSerializer):
    """A node as operators see it; the BMC password can be set, never read."""

    flavor = serializers.SlugRelatedField(
        slug_field="name", queryset=Flavor.objects.all(), allow_null=True, required=False
    )
    status = serializers.ChoiceField(
        choices=NodeStatus.choices(),
        required=False,
        help_text="Moves follow the node state table; an illegal move answers 409.",
    )
    bmc_password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=128,
        style={"input_type": "password"},
        help_text="Write-only: stored encrypted, never returned. An empty string clears it.",
    )
    bmc_password_set = serializers.BooleanField(source="has_bmc_password", read_only=True)
    baremetal = BaremetalSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Node
        read_only_fields = [
            "uuid",
            "serial",
            "vendor",
            "product_name",
            "power_state",
            "power_state_at",
            "facts",
            "first_registered_at",
            "last_registered_at",
            "created_from",
            "reregistration_armed_until",
            "created_at",
            "updated_at",
        ]
        fields = [
            *read_only_fields,
            "flavor",
            "availability_zone",
            "rack_position",
            "status",
            "bmc_driver",
            "bmc_address",
            "bmc_port",
            "bmc_username",
            "bmc_options",
            "bmc_password",
            "bmc_password_set",
            "baremetal",
        ]


class BmcBreakerSerializer(serializers.Serializer):
    """The circuit breaker of a node's BMC (pacing): whether Bearman still talks to it."""

    state = serializers.ChoiceField(choices=BreakerState.choices, read_only=True)
    failures = serializers.IntegerField(read_only=True, help_text="Failures in a row.")
    since = serializers.DateTimeField(read_only=True, allow_null=True)
    next_try = serializers.DateTimeField(read_only=True, allow_null=True)
    last_error = serializers.CharField(read_only=True)
    message = serializers.CharField(read_only=True)


class NodeDetailSerializer(NodeSerializer):
    """One node, with its BMC's breaker (null before any command was sent to the BMC)."""

    bmc_breaker = serializers.SerializerMethodField()

    class Meta(NodeSerializer.Meta):
        fields = [*NodeSerializer.Meta.fields, "bmc_breaker"]

    @extend_schema_field(BmcBreakerSerializer(allow_null=True))
    def get_bmc_breaker(self, node: Node):
        report = bmc_breaker_of(node)
        return BmcBreakerSerializer(report).data if report else None
