"""The cabling plan: its cables one by one, and a CSV import with a dry run."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from bearman.api.filters import StrictFilterSet
from bearman.api.serializers.cabling import (
    CablingImportQuerySerializer,
    CablingLinkSerializer,
    PlanImportSerializer,
)
from bearman.models import CablingLink, Node
from bearman.services.cabling import cabling_link_delete, cabling_link_save, node_cabling
from bearman.services.cabling_import import (
    MAX_PLAN_BYTES,
    CablingPlanInvalid,
    cabling_plan_import,
)
from bearman.validators import normalize_system_uuid

CHANGE_PLAN = ["bearman.add_cablinglink", "bearman.change_cablinglink"]


class CsvParser(BaseParser):
    """The request body as bytes, for the import to decode (BOM, CRLF) and check itself."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        # One byte over the limit is enough for the import to say the file is too large.
        return stream.read(MAX_PLAN_BYTES + 1) if stream is not None else b""


class CablingLinkFilter(StrictFilterSet):
    node = django_filters.CharFilter(
        method="by_node", help_text="A node's system UUID: its cables, by serial or position."
    )

    class Meta:
        model = CablingLink
        fields = ["serial", "rack_position", "nic", "switch"]

    def by_node(self, queryset, name, value):
        try:
            node = Node.objects.get(uuid=normalize_system_uuid(value))
        except (DjangoValidationError, Node.DoesNotExist):  # not a UUID, or no such node
            return queryset.none()
        return queryset & node_cabling(node)


class CablingLinkViewSet(viewsets.ModelViewSet):
    """The cabling plan: a node's NIC (by serial or rack position) → switch and port."""

    queryset = CablingLink.objects.all()
    serializer_class = CablingLinkSerializer
    filterset_class = CablingLinkFilter
    lookup_value_regex = r"\d+"
    search_fields = ["serial", "rack_position", "nic", "switch", "port"]
    ordering_fields = ["serial", "rack_position", "nic", "switch", "updated_at"]
    action_permissions = {"import_plan": ["bearman.view_cablinglink", *CHANGE_PLAN]}

    def perform_create(self, serializer):
        serializer.instance = cabling_link_save(link=CablingLink(**serializer.validated_data))

    def perform_update(self, serializer):
        link = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(link, name, value)
        serializer.instance = cabling_link_save(link=link)

    def perform_destroy(self, instance):
        cabling_link_delete(link=instance)

    @extend_schema(
        parameters=[CablingImportQuerySerializer],
        request={"text/csv": OpenApiTypes.STR},
        responses={200: PlanImportSerializer},
        description=(
            "The body is the CSV file (Content-Type: text/csv): a header "
            "`serial,nic,switch,port` or `rack_position,nic,switch,port`, one cable per line. "
            "Rows are upserted by node and NIC. One bad row refuses the whole file (400, each "
            "problem under `line N`) and nothing is written."
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[CsvParser],
        filter_backends=[],
        pagination_class=None,
    )
    def import_plan(self, request):
        """Upsert the plan from CSV, or with ?dry_run=true report what it would change."""
        query = CablingImportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = request.data if isinstance(request.data, bytes) else b""
        try:
            result = cabling_plan_import(data=data, dry_run=query.validated_data["dry_run"])
        except CablingPlanInvalid as refusal:
            raise ValidationError(_by_line(refusal.problems)) from None
        return Response(PlanImportSerializer(result).data)


def _by_line(problems: list[tuple[int, str]]) -> dict[str, list[str]]:
    """Each refused line's problems under `line N`, as the error body's fields."""
    fields: dict[str, list[str]] = {}
    for line, problem in problems:
        fields.setdefault(f"line {line}", []).append(problem)
    return fields
