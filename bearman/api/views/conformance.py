"""A node's conformance: its verdicts, a re-check, a waiver."""

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response

from bearman.api.serializers.conformance import (
    ConformanceVerdictSerializer,
    ConformanceWaiverSerializer,
    NodeConformanceSerializer,
    WaiverRequestSerializer,
)
from bearman.models import Node
from bearman.services.conformance import (
    conformance_waive,
    node_conformance,
    node_conformance_recheck,
)

from .nodes import NODE_UUID, UUID_IN_PATH


@extend_schema(parameters=[NODE_UUID])
class NodeConformanceViewSet(viewsets.GenericViewSet):
    """Whether a node has what its flavor and cabling plan say; re-checks and waivers."""

    queryset = Node.objects.all()
    lookup_field = "uuid"
    lookup_value_regex = UUID_IN_PATH
    serializer_class = NodeConformanceSerializer
    action_permissions = {
        "retrieve": ["bearman.view_node", "bearman.view_conformanceverdict"],
        "recheck": ["bearman.view_node", "bearman.change_node"],
        "waive": ["bearman.view_node", "bearman.add_conformancewaiver"],
    }

    def retrieve(self, request, uuid=None):
        """The latest verdict with its differences, the history (newest first), the waivers."""
        return Response(NodeConformanceSerializer(node_conformance(node=self.get_object())).data)

    @extend_schema(request=None, responses={200: ConformanceVerdictSerializer})
    def recheck(self, request, uuid=None):
        """Check the stored facts again; a held node that passes goes back to the normal flow."""
        verdict = node_conformance_recheck(
            node=self.get_object(), actor=request.user.get_username()
        )
        return Response(ConformanceVerdictSerializer(verdict).data)

    @extend_schema(request=WaiverRequestSerializer, responses={201: ConformanceWaiverSerializer})
    def waive(self, request, uuid=None):
        """Accept one difference of the latest verdict (409 if it has none such)."""
        asked = WaiverRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        waiver = conformance_waive(
            node=self.get_object(), actor=request.user.get_username(), **asked.validated_data
        )
        return Response(ConformanceWaiverSerializer(waiver).data, status=status.HTTP_201_CREATED)
