from .baremetals import BaremetalViewSet
from .catalog import FlavorViewSet, ProfileViewSet
from .nodes import NodeEventViewSet, NodeViewSet

__all__ = [
    "BaremetalViewSet",
    "FlavorViewSet",
    "NodeEventViewSet",
    "NodeViewSet",
    "ProfileViewSet",
]
