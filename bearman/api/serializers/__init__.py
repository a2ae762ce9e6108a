from .baremetals import BaremetalSerializer
from .catalog import FlavorSerializer, ProfileSerializer
from .events import EventSerializer
from .nodes import NodeDetailSerializer, NodeSerializer
from .power import (
    PowerBulkRequestSerializer,
    PowerBulkSerializer,
    PowerDryRunSerializer,
    PowerOperationSerializer,
    PowerOperationStatusSerializer,
    PowerRequestSerializer,
)

__all__ = [
    "BaremetalSerializer",
    "EventSerializer",
    "FlavorSerializer",
    "NodeDetailSerializer",
    "NodeSerializer",
    "PowerBulkRequestSerializer",
    "PowerBulkSerializer",
    "PowerDryRunSerializer",
    "PowerOperationSerializer",
    "PowerOperationStatusSerializer",
    "PowerRequestSerializer",
    "ProfileSerializer",
]
