"""Bearman's exceptions: one base error, each named <Thing><Problem>.

Entry points map these to their own language (admin messages, HTTP 409, gRPC
FAILED_PRECONDITION) in one place each.
"""


class BearmanError(Exception):
    """Base of every error Bearman raises on purpose; the message is for people."""


class TransitionNotAllowed(BearmanError):
    """The state table has no move from the current status to the requested one."""


class TransitionConflict(BearmanError):
    """The record changed status under us; the caller acted on a stale view."""


class SecretUnreadable(BearmanError):
    """A stored secret cannot be decrypted with any of the configured keys."""


class NodeNotFound(BearmanError):
    """No node has the given system UUID."""


class BaremetalNotPending(BearmanError):
    """The node has no Baremetal in the status the call needs."""


class AgentTokenMissing(BearmanError):
    """The call carries no token, or one that Bearman never issued."""


class AgentTokenForbidden(BearmanError):
    """The token is valid, but for another node or Baremetal."""


class ProfileInUse(BearmanError):
    """A profile cannot be removed while Baremetals use it."""


class PowerOperationInFlight(BearmanError):
    """The node already has a power operation queued or running: one at a time."""


class PowerNotConfigured(BearmanError):
    """The node has no BMC address (or user) to send a power request to."""


class BmcChangeNotAllowed(BearmanError):
    """Moving a node's BMC (address, port, driver, TLS check) needs the power permission."""


class RegistrationRefused(BearmanError):
    """A known node registered again, past registration and without an operator's arming."""


class RegistrationThrottled(BearmanError):
    """Too many new nodes registered lately, from this source or from everyone: retry later."""


class NodeAwaitingAcceptance(BearmanError):
    """The node was discovered in approval mode and no operator has accepted it yet."""


class BaremetalClaimed(BearmanError):
    """Another caller already claimed this Baremetal with GetProfile."""


class ProfileAppendInvalid(BearmanError):
    """A stored command line names a variable that does not exist or is malformed."""


class IpxeUnsafeValue(BearmanError):
    """A value would change the meaning of an iPXE script."""


class FirstStageMissing(BearmanError):
    """The built first-stage image is not where it was looked for."""


class ConformanceNothingToWaive(BearmanError):
    """A waiver names no difference of the node's latest verdict, or gives no reason."""
