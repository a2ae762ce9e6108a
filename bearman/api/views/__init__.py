from .baremetals import BaremetalViewSet
from .catalog import FlavorViewSet, ProfileViewSet
from .nodes import NodeEventViewSet, NodeViewSet
from .power import PowerBulkViewSet, PowerOperationViewSet

__all__ = [
    "BaremetalViewSet",
    "FlavorViewSet",
    "NodeEventViewSet",
    "NodeViewSet",
    "PowerBulkViewSet",
    "PowerOperationViewSet",
    "ProfileViewSet",
]
