from .api_token import ApiToken
from .artifact import BootArtifact
from .baremetal import STATUS_TIMESTAMP_FIELDS, Baremetal
from .event import Event, EventKind
from .flavor import BondMode, Flavor
from .node import BmcDriver, Node, PowerState
from .notice import Notice, NoticeKind
from .power import IN_FLIGHT, NOT_REPEATABLE, FakeBmc, OperationState, PowerAction, PowerOperation
from .power_bulk import BulkState, PowerBulk
from .profile import BootMethod, Profile

__all__ = [
    "ApiToken",
    "STATUS_TIMESTAMP_FIELDS",
    "Baremetal",
    "BmcDriver",
    "BondMode",
    "BootArtifact",
    "BootMethod",
    "BulkState",
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
