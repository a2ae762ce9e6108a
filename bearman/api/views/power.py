"""Power operations (read), and bulk power requests with their guard rails."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from bearman.api.filters import PowerOperationFilter
from bearman.api.serializers import (
    PowerBulkRequestSerializer,
    PowerBulkSerializer,
    PowerDryRunSerializer,
    PowerOperationStatusSerializer,
)
from bearman.models import PowerBulk, PowerOperation
from bearman.services.power.bulk import power_bulk_request

OPERATE_POWER = ["bearman.view_node", "bearman.operate_power"]
VIEW_OPERATIONS = ["bearman.view_poweroperation"]


class PowerOperationViewSet(viewsets.ReadOnlyModelViewSet):
    """Every power request, newest first; a worker moves each to succeeded or failed."""

    queryset = PowerOperation.objects.select_related("node")
    serializer_class = PowerOperationStatusSerializer
    filterset_class = PowerOperationFilter
    lookup_value_regex = r"\d+"
    ordering_fields = ["queued_at", "finished_at"]
    search_fields = ["node__uuid", "requested_by", "error"]


class PowerBulkViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """One action over many nodes, in batches, stopping once too many have failed."""

    queryset = PowerBulk.objects.all()
    serializer_class = PowerBulkSerializer
    lookup_value_regex = r"\d+"
    filter_backends = []
    action_permissions = {
        "create": OPERATE_POWER,
        "list": VIEW_OPERATIONS,
        "retrieve": VIEW_OPERATIONS,
    }

    @extend_schema(
        request=PowerBulkRequestSerializer,
        responses={202: PowerBulkSerializer, 200: PowerDryRunSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Queue the first batch (202), or with `dry_run` say which nodes it would touch (200)."""
        asked = PowerBulkRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        options = asked.validated_data
        if options["dry_run"]:
            return Response(_dry_run(options))
        bulk = power_bulk_request(
            nodes=options["selected"],
            action=options["action"],
            actor=request.user.get_username(),
            batch_size=options["batch_size"],
            max_failure_percent=options["max_failure_percent"],
        )
        return Response(PowerBulkSerializer(bulk).data, status=status.HTTP_202_ACCEPTED)


def _dry_run(options: dict) -> dict:
    return PowerDryRunSerializer(
        {
            "dry_run": True,
            "action": options["action"],
            "count": len(options["selected"]),
            "batch_size": options["batch_size"],
            "max_failure_percent": options["max_failure_percent"],
            "nodes": options["selected"],
        }
    ).data
