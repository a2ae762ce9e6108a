"""Query filters (django-filter) and search of the list endpoints."""

import django_filters
from django_filters.widgets import BooleanWidget
from rest_framework.filters import SearchFilter

from bearman.models import (
    Baremetal,
    Event,
    Node,
    OperationState,
    PowerAction,
    PowerBulk,
    PowerOperation,
    Profile,
)
from bearman.states import DeployStatus, NodeStatus
from bearman.validators import mac_search_term


class StrictFilterSet(django_filters.FilterSet):
    """A filter named in the query needs a value: `?node=` is a mistake, not "any node"."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name in self.filters:
            if name in self.data and self.form.cleaned_data.get(name) in (None, "", []):
                self.form.add_error(name, "Give a value, or leave this filter out.")
                valid = False
        return valid


class NodeFilter(StrictFilterSet):
    """The nodes an operator means: `?status=ready&availability_zone=az1&flavor=compute`."""

    flavor = django_filters.CharFilter(field_name="flavor__name", help_text="Flavor name.")
    status = django_filters.MultipleChoiceFilter(choices=NodeStatus.choices())
    baremetal_status = django_filters.MultipleChoiceFilter(
        field_name="baremetal__status", choices=DeployStatus.choices()
    )
    # true/false (or 1/0), not the select widget's default "2"/"3".
    has_baremetal = django_filters.BooleanFilter(
        field_name="baremetal", lookup_expr="isnull", exclude=True, widget=BooleanWidget()
    )

    class Meta:
        model = Node
        fields = ["availability_zone", "rack_position", "vendor", "power_state", "bmc_driver"]


class NodeSearchFilter(SearchFilter):
    """`?search=` by UUID, serial, BMC address, hostname or a MAC in any spelling."""

    def get_search_terms(self, request):
        return [mac_search_term(term) for term in super().get_search_terms(request)]


class EventFilter(StrictFilterSet):
    class Meta:
        model = Event
        fields = ["kind", "actor"]


class BaremetalFilter(StrictFilterSet):
    node = django_filters.UUIDFilter(field_name="node__uuid", help_text="The node's system UUID.")
    profile = django_filters.CharFilter(field_name="profile__name", help_text="Profile name.")
    status = django_filters.MultipleChoiceFilter(choices=DeployStatus.choices())

    class Meta:
        model = Baremetal
        fields = ["hostname"]


class ProfileFilter(StrictFilterSet):
    class Meta:
        model = Profile
        fields = ["boot_method"]


class PowerOperationFilter(StrictFilterSet):
    node = django_filters.UUIDFilter(field_name="node__uuid", help_text="The node's system UUID.")
    state = django_filters.MultipleChoiceFilter(choices=OperationState.choices)
    action = django_filters.MultipleChoiceFilter(choices=PowerAction.choices)
    bulk = django_filters.NumberFilter(
        method="of_bulk", help_text="Only the operations of this bulk request."
    )

    class Meta:
        model = PowerOperation
        fields = ["requested_by"]

    def of_bulk(self, queryset, name, value):
        bulk = PowerBulk.objects.filter(pk=value).first()
        return queryset.filter(pk__in=bulk.operation_ids if bulk else [])
