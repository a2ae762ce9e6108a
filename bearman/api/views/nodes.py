from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from bearman.api.filters import EventFilter, NodeFilter, NodeSearchFilter
from bearman.api.serializers import (
    EventSerializer,
    NodeDetailSerializer,
    NodeSerializer,
    PowerOperationSerializer,
    PowerRequestSerializer,
)
from bearman.api.serializers.timeline import TimelineSerializer
from bearman.models import Event, Node
from bearman.services import node_update
from bearman.services import timeline as timelines
from bearman.services.admission import node_accept, node_rearm
from bearman.services.power.request import power_action_request

# Any spelling of a system UUID: upper or lower case, with or without dashes.
UUID_IN_PATH = "[^/]+"
NODE_UUID = OpenApiParameter(
    "uuid", str, OpenApiParameter.PATH, description="System UUID, in any case."
)


@extend_schema(parameters=[NODE_UUID])
class NodeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Nodes register themselves; operators place them, move their status, set their BMC."""

    queryset = Node.objects.select_related("flavor", "baremetal")
    serializer_class = NodeSerializer
    lookup_field = "uuid"
    lookup_value_regex = UUID_IN_PATH
    http_method_names = ["get", "patch", "post", "head", "options"]
    filter_backends = [DjangoFilterBackend, NodeSearchFilter, OrderingFilter]
    filterset_class = NodeFilter
    search_fields = ["uuid", "serial", "bmc_address", "baremetal__hostname", "mac_addresses"]
    ordering_fields = ["uuid", "serial", "status", "power_state", "created_at", "updated_at"]
    action_permissions = {
        "power": ["bearman.view_node", "bearman.operate_power"],
        "accept": ["bearman.view_node", "bearman.change_node"],
        # The next registration gets the node's BMC credentials: power permission too.
        "rearm": ["bearman.view_node", "bearman.change_node", "bearman.operate_power"],
    }

    def get_serializer_class(self):
        # The breaker is one query per node: the detail shows it, the list does not.
        return NodeDetailSerializer if self.action == "retrieve" else NodeSerializer

    def perform_update(self, serializer):
        serializer.instance = node_update(
            node=serializer.instance,
            actor=self.request.user.get_username(),
            may_operate_power=self.request.user.has_perm("bearman.operate_power"),
            **serializer.validated_data,
        )

    @extend_schema(request=PowerRequestSerializer, responses={202: PowerOperationSerializer})
    @action(detail=True, methods=["post"])
    def power(self, request, uuid=None):
        """Queue a power action for a worker (202); 409 while another one is in flight."""
        asked = PowerRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        operation = power_action_request(
            node=self.get_object(),
            action=asked.validated_data["action"],
            actor=request.user.get_username(),
        )
        return Response(PowerOperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: NodeSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, uuid=None):
        """Accept a discovered node (approval mode): it may register; 409 if not discovered."""
        node = node_accept(node=self.get_object(), actor=request.user.get_username())
        return Response(NodeSerializer(node).data)

    @extend_schema(request=None, responses={200: NodeSerializer})
    @action(detail=True, methods=["post"])
    def rearm(self, request, uuid=None):
        """Let the node's next registration through, once, within the arming window."""
        node = node_rearm(node=self.get_object(), actor=request.user.get_username())
        return Response(NodeSerializer(node).data)

    @extend_schema(responses=TimelineSerializer)
    @action(detail=True, methods=["get"], url_path="registration-timeline")
    def registration_timeline(self, request, uuid=None):
        """The boot timeline of the node's latest registration (its Baremetal's is at
        baremetals/{id}/timeline/)."""
        timeline = timelines.registration_timeline(uuid=self.get_object().uuid)
        return Response(TimelineSerializer(timeline).data)


@extend_schema(parameters=[NODE_UUID])
class NodeEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A node's events, newest first."""

    serializer_class = EventSerializer
    filterset_class = EventFilter
    ordering_fields = ["created_at"]
    search_fields = ["message"]

    def get_queryset(self):
        return Event.objects.filter(node__uuid=self.kwargs.get("uuid"))

    def list(self, request, *args, **kwargs):
        # An unknown node is a 404, not an empty list that looks like a quiet node.
        get_object_or_404(Node, uuid=kwargs["uuid"])
        return super().list(request, *args, **kwargs)
