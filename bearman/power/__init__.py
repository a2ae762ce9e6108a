"""Power drivers: IPMI (pyghmi), Redfish (sushy) and fake, behind `base.PowerDriver`.

Pure Python: nothing here imports Django. Drivers take a `BmcTarget` and raise `BmcError`s.
"""

from .base import (
    BmcAuthenticationFailed,
    BmcError,
    BmcTarget,
    BmcTimeout,
    BmcUnreachable,
    BmcUnsupported,
    BootDevice,
    MachinePower,
    PowerDriver,
    PowerRequest,
)

__all__ = [
    "BmcAuthenticationFailed",
    "BmcError",
    "BmcTarget",
    "BmcTimeout",
    "BmcUnreachable",
    "BmcUnsupported",
    "BootDevice",
    "MachinePower",
    "PowerDriver",
    "PowerRequest",
]
