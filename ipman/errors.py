"""IPman's exceptions: one base error, each named <Thing><Problem>; the message is for people.

The REST API maps them to HTTP statuses in one place (`bearman.api.errors`); Bearman maps them
to its own (gRPC RESOURCE_EXHAUSTED for a full pool, and so on).
"""


class IpmanError(Exception):
    """Base of every error IPman raises on purpose."""


class PoolNotFound(IpmanError):
    """No pool has that name or id, or none serves that purpose in that availability zone."""


class PoolExhausted(IpmanError):
    """The pool (or every pool that could serve) has no free address left."""


class PoolInUse(IpmanError):
    """The pool still has allocations, so it cannot be deleted."""


class AddressInUse(IpmanError):
    """The address asked for is already allocated to another owner."""


class AddressOutsidePool(IpmanError):
    """The address asked for is not one the pool hands out (another network, reserved…)."""


class OwnerHasAddress(IpmanError):
    """The owner already holds a different address in this pool (one per owner and pool)."""
