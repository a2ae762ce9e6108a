from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ipman import selectors, services

from .serializers import (
    AllocateSerializer,
    AllocationFilterSerializer,
    AllocationSerializer,
    AssignmentSerializer,
    OwnerSerializer,
    PoolSerializer,
    ReleasedSerializer,
    ReserveSerializer,
)

CONFLICT = OpenApiResponse(description="The pool is full, or the address or owner is taken.")


class IpmanViewSet(viewsets.GenericViewSet):
    def validated(self, serializer_class, data) -> dict:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def assignment_response(self, assignment) -> Response:
        created = status.HTTP_201_CREATED if assignment.created else status.HTTP_200_OK
        return Response(AssignmentSerializer(assignment).data, status=created)


class PoolViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    IpmanViewSet,
):
    """IP pools: networks IPman hands addresses out of, with their usage."""

    serializer_class = PoolSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_permissions = {
        "allocate": ["ipman.add_allocation"],
        "reserve": ["ipman.add_allocation"],
        "release": ["ipman.delete_allocation"],
    }

    def get_queryset(self):
        return selectors.pool_list_with_usage()

    def perform_create(self, serializer):
        serializer.instance = services.pool_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.pool_update(
            pool=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.pool_delete(pool=instance)

    @extend_schema(
        request=AllocateSerializer,
        responses={201: AssignmentSerializer, 200: AssignmentSerializer, 409: CONFLICT},
        description="The owner's address in this pool: the lowest free one (201), or the one "
        "it already holds (200).",
    )
    @action(detail=True, methods=["post"])
    def allocate(self, request, pk=None):
        data = self.validated(AllocateSerializer, request.data)
        return self.assignment_response(services.ip_allocate(pool=self.get_object(), **data))

    @extend_schema(
        request=ReserveSerializer,
        responses={201: AssignmentSerializer, 200: AssignmentSerializer, 409: CONFLICT},
        description="Exactly this address for the owner (200 when it already holds it).",
    )
    @action(detail=True, methods=["post"])
    def reserve(self, request, pk=None):
        data = self.validated(ReserveSerializer, request.data)
        return self.assignment_response(services.ip_reserve(pool=self.get_object(), **data))

    @extend_schema(request=OwnerSerializer, responses={200: ReleasedSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        owner = self.validated(OwnerSerializer, request.data)["owner"]
        pool = self.get_object()
        released = services.ip_release(pool=pool, owner=owner)
        return Response({"owner": owner, "pool": pool.pk, "released": released})


class AllocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, IpmanViewSet):
    """Who holds which address; filter by pool, owner or address."""

    serializer_class = AllocationSerializer

    def get_queryset(self):
        return selectors.allocation_list()

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        # A plain dict: from a QueryDict DRF would skip `?owner=` instead of refusing it.
        filters = self.validated(AllocationFilterSerializer, self.request.query_params.dict())
        return selectors.allocation_list(**filters)

    @extend_schema(parameters=[AllocationFilterSerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
