from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from bearman.models import Baremetal, Node, Profile

from .validation import JsonTypesMixin


class BaremetalSerializer(JsonTypesMixin, serializers.ModelSerializer):
    """A Baremetal: created in DEPLOY_START; its status moves only through actions."""

    node = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=Node.objects.all(),
        help_text="The node's system UUID.",
        validators=[
            UniqueValidator(
                queryset=Baremetal.objects.all(),
                message="This node already has a Baremetal: redeploy or release it.",
            )
        ],
    )
    profile = serializers.SlugRelatedField(slug_field="name", queryset=Profile.objects.all())
    vlan = serializers.IntegerField(
        min_value=1,
        max_value=4094,
        allow_null=True,
        required=False,
        help_text="Default: the VLAN of the node's flavor.",
    )

    class Meta:
        model = Baremetal
        read_only_fields = [
            "status",
            "addresses",
            "last_error",
            "deploy_started_at",
            "deploying_at",
            "detail_at",
            "installed_at",
            "failed_at",
            "created_at",
            "updated_at",
        ]
        fields = ["id", "node", "profile", "hostname", "vlan", *read_only_fields]
