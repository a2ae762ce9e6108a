"""What the API reads and writes; the rules themselves live in the services and the model."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ipman.errors import PoolNotFound
from ipman.models import Allocation, Pool
from ipman.selectors import pool_get, pool_usage
from ipman.validators import NOTE_MAX_LENGTH, OWNER_MAX_LENGTH, validate_owner

from .json_types import JsonTypesMixin


class PoolSerializer(JsonTypesMixin, serializers.ModelSerializer):
    reserved = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text="Addresses, ranges (a-b) and subnets never handed out.",
    )
    used = serializers.SerializerMethodField(help_text="Addresses allocated.")
    total = serializers.SerializerMethodField(help_text="Addresses the pool hands out.")

    class Meta:
        model = Pool
        fields = [
            "id",
            "name",
            "description",
            "purpose",
            "availability_zone",
            "network",
            "gateway",
            "vlan",
            "range_first",
            "range_last",
            "reserved",
            "used",
            "total",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(OpenApiTypes.INT)
    def get_used(self, pool: Pool) -> int:
        return pool_usage(pool=pool).used

    @extend_schema_field(OpenApiTypes.INT)
    def get_total(self, pool: Pool) -> int:
        return pool.space.total


class AllocationSerializer(serializers.ModelSerializer):
    pool_name = serializers.CharField(source="pool.name", read_only=True)

    class Meta:
        model = Allocation
        fields = ["id", "pool", "pool_name", "address", "owner", "note", "created_at"]


class AssignmentSerializer(serializers.Serializer):
    """An owner's address in a pool, and what a host needs to configure it."""

    address = serializers.IPAddressField()
    owner = serializers.CharField()
    pool = serializers.IntegerField(source="pool_id", help_text="The pool's id.")
    pool_name = serializers.CharField(source="pool")
    network = serializers.CharField()
    prefix_length = serializers.IntegerField()
    gateway = serializers.IPAddressField(allow_null=True)
    vlan = serializers.IntegerField(allow_null=True)


class OwnerSerializer(JsonTypesMixin, serializers.Serializer):
    owner = serializers.CharField(
        max_length=OWNER_MAX_LENGTH,
        validators=[validate_owner],
        help_text="Who holds the address, e.g. node/<uuid>/ipmi.",
    )


class AllocateSerializer(OwnerSerializer):
    note = serializers.CharField(max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True)


class ReserveSerializer(AllocateSerializer):
    address = serializers.IPAddressField()


class ReleasedSerializer(serializers.Serializer):
    owner = serializers.CharField()
    pool = serializers.IntegerField()
    released = serializers.ListField(child=serializers.IPAddressField())


class AllocationFilterSerializer(serializers.Serializer):
    pool = serializers.IntegerField(required=False, min_value=1, help_text="A pool's id.")
    owner = serializers.CharField(required=False, max_length=OWNER_MAX_LENGTH)
    address = serializers.IPAddressField(required=False)

    def validate_pool(self, value: int) -> Pool:
        try:
            return pool_get(pool=value)
        except PoolNotFound as error:
            raise serializers.ValidationError(str(error)) from None
