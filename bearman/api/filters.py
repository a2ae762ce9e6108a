"""Query filters (django-filter) and search of the list endpoints."""

import django_filters
from rest_framework.filters import SearchFilter

from bearman.models import Baremetal, Event, Node, Profile
from bearman.states import DeployStatus, NodeStatus
from bearman.validators import mac_search_term


class NodeFilter(django_filters.FilterSet):
    """The nodes an operator means: `?status=ready&availability_zone=az1&flavor=compute`."""

    flavor = django_filters.CharFilter(field_name="flavor__name", help_text="Flavor name.")
    status = django_filters.MultipleChoiceFilter(choices=NodeStatus.choices())
    deployment_status = django_filters.MultipleChoiceFilter(
        field_name="baremetal__status", choices=DeployStatus.choices()
    )
    has_deployment = django_filters.BooleanFilter(
        field_name="baremetal", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Node
        fields = ["availability_zone", "vendor", "power_state", "bmc_driver"]


class NodeSearchFilter(SearchFilter):
    """`?search=` by UUID, serial, BMC address, hostname or a MAC in any spelling."""

    def get_search_terms(self, request):
        return [mac_search_term(term) for term in super().get_search_terms(request)]


class EventFilter(django_filters.FilterSet):
    class Meta:
        model = Event
        fields = ["kind", "actor"]


class BaremetalFilter(django_filters.FilterSet):
    node = django_filters.CharFilter(field_name="node__uuid", help_text="The node's system UUID.")
    profile = django_filters.CharFilter(field_name="profile__name", help_text="Profile name.")
    status = django_filters.MultipleChoiceFilter(choices=DeployStatus.choices())

    class Meta:
        model = Baremetal
        fields = ["hostname"]


class ProfileFilter(django_filters.FilterSet):
    class Meta:
        model = Profile
        fields = ["boot_method"]
