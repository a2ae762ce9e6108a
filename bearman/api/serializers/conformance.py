"""Conformance verdicts, their differences and waivers, as the API shows them."""

from rest_framework import serializers

from bearman.models import (
    ConformanceDifference,
    ConformanceVerdict,
    ConformanceWaiver,
    DifferenceKind,
)
from bearman.models.conformance import WAIVER_REASON_MAX

from .validation import JsonTypesMixin


class ConformanceWaiverSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConformanceWaiver
        fields = ["kind", "component", "reason", "created_by", "created_at"]


class ConformanceDifferenceSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    waived = serializers.SerializerMethodField()

    class Meta:
        model = ConformanceDifference
        fields = ["rule", "kind", "kind_label", "component", "expected", "found", "waived"]

    def get_waived(self, difference) -> bool:
        return difference.waiver_id is not None


class ConformanceVerdictSerializer(serializers.ModelSerializer):
    flavor = serializers.CharField(source="flavor_name")
    differences = ConformanceDifferenceSerializer(many=True)

    class Meta:
        model = ConformanceVerdict
        fields = ["checked_at", "trigger", "actor", "flavor", "passed", "held", "differences"]


class NodeConformanceSerializer(serializers.Serializer):
    """A node's latest verdict (null before its first), its history and its waivers."""

    uuid = serializers.CharField(source="node.uuid")
    status = serializers.CharField(source="node.status")
    latest = ConformanceVerdictSerializer(allow_null=True)
    history = ConformanceVerdictSerializer(source="verdicts", many=True)
    waivers = ConformanceWaiverSerializer(many=True)


class WaiverRequestSerializer(JsonTypesMixin, serializers.Serializer):
    """Accept one difference of the node's latest verdict, and say why."""

    kind = serializers.ChoiceField(choices=DifferenceKind.choices)
    component = serializers.CharField(max_length=64)
    reason = serializers.CharField(max_length=WAIVER_REASON_MAX)
