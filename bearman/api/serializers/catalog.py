"""Flavors and Profiles: what operators define once."""

from rest_framework import serializers

from bearman.models import BootArtifact, Flavor, Profile

from .validation import JsonTypesMixin, ModelRulesMixin

# What a flavor's nodes must have (conformance).
FLAVOR_EXPECTATIONS = [
    "cpu_model_pattern",
    "cpu_min_cores",
    "memory_gib",
    "memory_tolerance_percent",
    "disk_count",
    "disk_kind",
    "disk_min_gb",
    "nic_count",
    "nic_min_speed_mbps",
    "nic_link_required",
    "firmware_minimums",
]


class FlavorSerializer(JsonTypesMixin, ModelRulesMixin, serializers.ModelSerializer):
    default_profile = serializers.SlugRelatedField(
        slug_field="name", queryset=Profile.objects.all(), allow_null=True, required=False
    )
    service_pools = serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=64),
        required=False,
        help_text="IPman pool names the Baremetals' service addresses come from.",
    )

    class Meta:
        model = Flavor
        fields = [
            "name",
            "description",
            "default_profile",
            "service_pools",
            "vlan",
            "bond_mode",
            "bond_options",
            *FLAVOR_EXPECTATIONS,
        ]


class ProfileSerializer(JsonTypesMixin, ModelRulesMixin, serializers.ModelSerializer):
    """The kernel as a URL or an uploaded artifact (by name); the initrd likewise, or none."""

    kernel_artifact = serializers.SlugRelatedField(
        slug_field="name", queryset=BootArtifact.objects.all(), allow_null=True, required=False
    )
    initrd_artifact = serializers.SlugRelatedField(
        slug_field="name", queryset=BootArtifact.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Profile
        fields = [
            "name",
            "description",
            "boot_method",
            "kernel_url",
            "kernel_artifact",
            "kernel_sha256",
            "initrd_url",
            "initrd_artifact",
            "initrd_sha256",
            "append",
            "install_script",
            "created_at",
            "updated_at",
        ]
        # A script is stored byte for byte, its final newline included.
        extra_kwargs = {"install_script": {"trim_whitespace": False}}
