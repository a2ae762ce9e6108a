from rest_framework import serializers

from bearman.models import Baremetal, Flavor, Node
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
    deployment = BaremetalSummarySerializer(source="baremetal", read_only=True, allow_null=True)

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
            "deployment",
        ]
