from .api_token import ApiToken
from .artifact import BootArtifact
from .baremetal import STATUS_TIMESTAMP_FIELDS, Baremetal
from .bmc_health import BmcHealth, BreakerState
from .cabling import CablingLink
from .conformance import (
    ConformanceDifference,
    ConformanceVerdict,
    ConformanceWaiver,
    DifferenceKind,
    VerdictTrigger,
)
from .event import Event, EventKind
from .flavor import BondMode, DiskKind, Flavor
from .node import BmcDriver, Node, PowerState
from .notice import Notice, NoticeKind
from .power import IN_FLIGHT, NOT_REPEATABLE, FakeBmc, OperationState, PowerAction, PowerOperation
from .power_bulk import BulkState, PowerBulk
from .profile import BootMethod, Profile
from .timeline import BootFlow, BootStep, BootStepName

__all__ = [
    "ConformanceDifference",
    "ConformanceVerdict",
    "ConformanceWaiver",
    "DifferenceKind",
    "DiskKind",
    "VerdictTrigger",
    "ApiToken",
    "STATUS_TIMESTAMP_FIELDS",
    "Baremetal",
    "BmcDriver",
    "BmcHealth",
    "BondMode",
    "BootArtifact",
    "BootFlow",
    "BootMethod",
    "BootStep",
    "BootStepName",
    "BreakerState",
    "BulkState",
    "CablingLink",
    "Event",
    "FakeBmc",
    "IN_FLIGHT",
    "NOT_REPEATABLE",
    "OperationState",
    "EventKind",
    "Flavor",
    "Node",
    "Notice",
    "NoticeKind",
    "PowerAction",
    "PowerBulk",
    "PowerOperation",
    "PowerState",
    "Profile",
]
