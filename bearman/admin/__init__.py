from .baremetal import BaremetalAdmin
from .cabling import CablingLinkAdmin
from .catalog import FlavorAdmin, ProfileAdmin
from .conformance import ConformanceVerdictAdmin, ConformanceWaiverAdmin
from .event import EventAdmin
from .node import NodeAdmin
from .notice import NoticeAdmin
from .power import PowerOperationAdmin
from .power_bulk import PowerBulkAdmin
from .tokens import ApiTokenAdmin

__all__ = [
    "ApiTokenAdmin",
    "BaremetalAdmin",
    "CablingLinkAdmin",
    "ConformanceVerdictAdmin",
    "ConformanceWaiverAdmin",
    "EventAdmin",
    "FlavorAdmin",
    "NodeAdmin",
    "NoticeAdmin",
    "PowerBulkAdmin",
    "PowerOperationAdmin",
    "ProfileAdmin",
]
