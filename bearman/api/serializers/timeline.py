from rest_framework import serializers

from bearman.services.timeline import RunState


class TimelineStepSerializer(serializers.Serializer):
    """One step of a run, with the time since the step before it."""

    step = serializers.CharField(help_text="e.g. ipxe_fetched, profile_claimed, installed")
    label = serializers.CharField()
    at = serializers.DateTimeField()
    seconds_since_previous = serializers.SerializerMethodField()
    detail = serializers.CharField()

    def get_seconds_since_previous(self, entry) -> float | None:
        return entry.since_previous.total_seconds() if entry.since_previous else None


class TimelineSerializer(serializers.Serializer):
    """A Baremetal's or a registration's boot timeline, and where it stopped."""

    flow = serializers.CharField(help_text="baremetal or registration")
    state = serializers.ChoiceField(choices=[state.value for state in RunState])
    steps = TimelineStepSerializer(source="entries", many=True)
    stopped_after = serializers.CharField(help_text="the last step reached; empty when none")
    waiting_for = serializers.CharField(help_text="the step that has not come; empty when done")
    diagnosis = serializers.CharField(help_text="why a failed or stuck run stopped, in words")
    deadline = serializers.DateTimeField(allow_null=True)
    total_seconds = serializers.SerializerMethodField()

    def get_total_seconds(self, timeline) -> float | None:
        return timeline.total.total_seconds() if timeline.total else None
