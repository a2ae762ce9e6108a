from .baremetal import BaremetalAdmin
from .catalog import FlavorAdmin, ProfileAdmin
from .event import EventAdmin
from .node import NodeAdmin

__all__ = ["BaremetalAdmin", "EventAdmin", "FlavorAdmin", "NodeAdmin", "ProfileAdmin"]
