from .baremetal import BaremetalAdmin
from .catalog import FlavorAdmin, ProfileAdmin
from .event import EventAdmin
from .node import NodeAdmin
from .power import PowerOperationAdmin

__all__ = [
    "BaremetalAdmin",
    "EventAdmin",
    "FlavorAdmin",
    "NodeAdmin",
    "PowerOperationAdmin",
    "ProfileAdmin",
]
