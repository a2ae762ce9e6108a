from rest_framework import serializers

from bearman.models import Event


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "kind", "message", "actor", "created_at", "data"]
