from .baremetals import BaremetalViewSet
from .cabling import CablingLinkViewSet
from .catalog import FlavorViewSet, ProfileViewSet
from .nodes import NodeEventViewSet, NodeViewSet
from .power import PowerBulkViewSet, PowerOperationViewSet

__all__ = [
    "BaremetalViewSet",
    "CablingLinkViewSet",
    "FlavorViewSet",
    "NodeEventViewSet",
    "NodeViewSet",
    "PowerBulkViewSet",
    "PowerOperationViewSet",
    "ProfileViewSet",
]
