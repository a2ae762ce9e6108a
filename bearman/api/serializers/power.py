"""Power operations, one node's request, and bulk requests with their guard rails."""

from dataclasses import asdict

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bearman.api.filters import NodeFilter
from bearman.models import BmcDriver, Node, PowerAction, PowerBulk, PowerOperation, PowerState
from bearman.services.power.bulk import power_bulk_tally
from bearman.services.zones import power_operations_waiting
from bearman.states import DeployStatus, NodeStatus
from bearman.validators import normalize_system_uuid

from .validation import JsonTypesMixin


class PowerOperationSerializer(serializers.ModelSerializer):
    node = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = PowerOperation
        fields = [
            "id",
            "node",
            "action",
            "state",
            "requested_by",
            "result",
            "error",
            "attempts",
            "queued_at",
            "started_at",
            "finished_at",
        ]


class PowerOperationStatusSerializer(PowerOperationSerializer):
    """An operation as read back: a pending one that no running worker of its zone will
    take says so in `waiting` ("waiting for a worker of zone b — none is running")."""

    waiting = serializers.SerializerMethodField()

    class Meta(PowerOperationSerializer.Meta):
        fields = [*PowerOperationSerializer.Meta.fields, "waiting"]

    def get_waiting(self, operation) -> str:
        return power_operations_waiting([operation]).get(operation.pk, "")


class PowerRequestSerializer(JsonTypesMixin, serializers.Serializer):
    action = serializers.ChoiceField(choices=PowerAction.choices)


class NodeSelectionSerializer(JsonTypesMixin, serializers.Serializer):
    """The nodes `GET /api/v1/nodes/` would list with the same filters (at least one)."""

    status = serializers.ListField(
        child=serializers.ChoiceField(choices=NodeStatus.choices()), required=False
    )
    baremetal_status = serializers.ListField(
        child=serializers.ChoiceField(choices=DeployStatus.choices()), required=False
    )
    has_baremetal = serializers.BooleanField(required=False)
    availability_zone = serializers.CharField(required=False)
    flavor = serializers.CharField(required=False, help_text="Flavor name.")
    vendor = serializers.CharField(required=False)
    power_state = serializers.ChoiceField(choices=PowerState.choices, required=False)
    bmc_driver = serializers.ChoiceField(choices=BmcDriver.choices, required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                "Name at least one filter: an empty one would mean every node."
            )
        return attrs


class PowerBulkRequestSerializer(JsonTypesMixin, serializers.Serializer):
    """Which nodes (`nodes` or `filter`, one of them) and how carefully."""

    action = serializers.ChoiceField(choices=PowerAction.choices)
    nodes = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        min_length=1,
        max_length=10000,
        help_text="System UUIDs, any case.",
    )
    filter = NodeSelectionSerializer(required=False)
    dry_run = serializers.BooleanField(
        default=False, help_text="Only answer which nodes it would touch."
    )
    batch_size = serializers.IntegerField(
        min_value=1, max_value=10000, required=False, help_text="Nodes queued at a time."
    )
    max_failure_percent = serializers.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        help_text="Stop queuing batches once more than this share of the finished ones failed.",
    )

    def validate(self, attrs):
        if ("nodes" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError("Give either `nodes` or `filter`.")
        attrs["selected"] = (
            self._by_uuid(attrs["nodes"]) if "nodes" in attrs else self._by_filter(attrs["filter"])
        )
        if not attrs["selected"]:
            raise serializers.ValidationError({"filter": ["No node matches this filter."]})
        attrs.setdefault("batch_size", settings.BEARMAN_POWER_BULK_BATCH_SIZE)
        attrs.setdefault("max_failure_percent", settings.BEARMAN_POWER_BULK_MAX_FAILURE_PERCENT)
        return attrs

    @staticmethod
    def _by_uuid(texts: list[str]) -> list[Node]:
        wanted, unknown = [], []
        for text in dict.fromkeys(texts):
            try:
                wanted.append(normalize_system_uuid(text))
            except DjangoValidationError:
                unknown.append(text)
        nodes = Node.objects.in_bulk(wanted, field_name="uuid")
        unknown += [uuid for uuid in wanted if uuid not in nodes]
        if unknown:
            raise serializers.ValidationError({"nodes": [f"No such node: {', '.join(unknown)}."]})
        return [nodes[uuid] for uuid in dict.fromkeys(wanted)]

    @staticmethod
    def _by_filter(criteria: dict) -> list[Node]:
        selection = NodeFilter(data=criteria, queryset=Node.objects.order_by("uuid"))
        if not selection.is_valid():
            raise serializers.ValidationError({"filter": selection.errors})
        return list(selection.qs)


class DryRunNodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Node
        fields = ["uuid", "status", "power_state", "bmc_driver", "bmc_address"]


class PowerDryRunSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    action = serializers.ChoiceField(choices=PowerAction.choices)
    count = serializers.IntegerField()
    batch_size = serializers.IntegerField()
    max_failure_percent = serializers.IntegerField()
    nodes = DryRunNodeSerializer(many=True)


class BulkProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    not_queued = serializers.IntegerField(help_text="Not requested yet (or never: stopped).")
    in_flight = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField(help_text="Including requests refused at once.")
    failure_percent = serializers.FloatField()


class PowerBulkSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    operations = serializers.ListField(
        source="operation_ids", child=serializers.IntegerField(), read_only=True
    )

    class Meta:
        model = PowerBulk
        fields = [
            "id",
            "action",
            "state",
            "requested_by",
            "batch_size",
            "max_failure_percent",
            "progress",
            "operations",
            "refused",
            "stopped_reason",
            "created_at",
            "finished_at",
        ]

    @extend_schema_field(BulkProgressSerializer)
    def get_progress(self, bulk) -> dict:
        tally = power_bulk_tally(bulk=bulk)
        return {**asdict(tally), "failure_percent": round(tally.failure_percent, 1)}
