from .baremetals import BaremetalSerializer
from .catalog import FlavorSerializer, ProfileSerializer
from .events import EventSerializer
from .nodes import NodeSerializer

__all__ = [
    "BaremetalSerializer",
    "EventSerializer",
    "FlavorSerializer",
    "NodeSerializer",
    "ProfileSerializer",
]
