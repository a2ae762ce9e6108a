"""The cabling plan over the API: one cable per object, and what an import did."""

from rest_framework import serializers

from bearman.models import CablingLink
from ipman.api.json_types import JsonTypesMixin


class CablingLinkSerializer(JsonTypesMixin, serializers.ModelSerializer):
    """Checked by the model's rules and constraints in the service (cabling_link_save)."""

    class Meta:
        model = CablingLink
        fields = ["id", "serial", "rack_position", "nic", "switch", "port", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        # The service's full_clean() checks the constraints, with their own messages.
        validators = []


class CablingImportQuerySerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(
        default=False, help_text="true: report what the file would change, write nothing."
    )


class PlanChangeSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The row's line in the file (the header is 1).")
    serial = serializers.CharField()
    rack_position = serializers.CharField()
    nic = serializers.CharField()
    switch = serializers.CharField()
    port = serializers.CharField()
    old_switch = serializers.CharField(help_text="Changed rows: the switch before.")
    old_port = serializers.CharField(help_text="Changed rows: the port before.")


class PlanCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class PlanImportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    counts = PlanCountsSerializer()
    created = PlanChangeSerializer(many=True)
    changed = PlanChangeSerializer(many=True)
    unchanged = PlanChangeSerializer(many=True)
