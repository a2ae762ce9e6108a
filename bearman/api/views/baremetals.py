from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from bearman.api.filters import BaremetalFilter
from bearman.api.serializers import BaremetalSerializer
from bearman.api.serializers.timeline import TimelineSerializer
from bearman.models import Baremetal
from bearman.services import baremetal_create, baremetal_delete
from bearman.services.baremetals import baremetal_redeploy
from bearman.services.timeline import baremetal_timeline


class BaremetalViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Baremetals: create one to deploy a node; `redeploy` and `release` it later."""

    queryset = Baremetal.objects.select_related("node", "profile")
    serializer_class = BaremetalSerializer
    filterset_class = BaremetalFilter
    search_fields = ["hostname", "node__uuid", "node__serial"]
    ordering_fields = ["hostname", "status", "created_at", "updated_at"]
    action_permissions = {
        "redeploy": ["bearman.change_baremetal"],
        "release": ["bearman.delete_baremetal"],
    }

    def perform_create(self, serializer):
        serializer.instance = baremetal_create(
            actor=self.request.user.get_username(), **serializer.validated_data
        )

    @extend_schema(request=None, responses=BaremetalSerializer)
    @action(detail=True, methods=["post"])
    def redeploy(self, request, pk=None):
        """Start the Baremetal over (DEPLOY_START) from INSTALLED or UNRECOVERABLE_ERROR."""
        baremetal = baremetal_redeploy(
            baremetal=self.get_object(), actor=request.user.get_username()
        )
        return Response(self.get_serializer(baremetal).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """Forget the Baremetal; the node boots as idle from then on."""
        baremetal_delete(baremetal=self.get_object(), actor=request.user.get_username())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=TimelineSerializer)
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        """The boot timeline of the Baremetal's current run: each step once, in order,
        with the time between steps, and where and why it stopped when it failed or is
        past its deadline."""
        return Response(TimelineSerializer(baremetal_timeline(baremetal=self.get_object())).data)
