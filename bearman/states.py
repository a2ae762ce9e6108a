"""The Node and Baremetal state machines as data.

Pure Python (no Django): the models, the admin, the API and the tests read one table.
`bearman.services.transitions` is the one place that applies them.
"""

import enum


class LabeledEnum(enum.StrEnum):
    """A string enum whose members carry a human label (for the admin and JSON)."""

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]


class NodeStatus(LabeledEnum):
    # approval mode: a new machine waits here, without a BMC address, for an operator
    DISCOVERED = "discovered", "Discovered"
    REGISTERED = "registered", "Registered"  # the agent registered; BMC not yet confirmed
    READY = "ready", "Ready"  # BMC answers; the node can be deployed
    MAINTENANCE = "maintenance", "Maintenance"  # taken out of service by an operator
    RETIRED = "retired", "Retired"  # gone for good; kept for the record
    ERROR = "error", "Error"  # registration or BMC setup failed


class DeployStatus(LabeledEnum):
    DEPLOY_START = "deploy_start", "Deploy start"  # waiting for the node to boot the agent
    DEPLOYING = "deploying", "Deploying"  # the agent fetched its profile and installs
    INSTALLED = "installed", "Installed"  # the agent reported success
    UNRECOVERABLE_ERROR = "unrecoverable_error", "Unrecoverable error"  # failed; node up for SSH


NODE_TRANSITIONS: dict[NodeStatus, frozenset[NodeStatus]] = {
    # Accepted by an operator (then it registers and gets its BMC), or turned away.
    NodeStatus.DISCOVERED: frozenset(
        {NodeStatus.REGISTERED, NodeStatus.MAINTENANCE, NodeStatus.RETIRED}
    ),
    NodeStatus.REGISTERED: frozenset(
        {NodeStatus.READY, NodeStatus.ERROR, NodeStatus.MAINTENANCE, NodeStatus.RETIRED}
    ),
    NodeStatus.READY: frozenset(
        {NodeStatus.REGISTERED, NodeStatus.ERROR, NodeStatus.MAINTENANCE, NodeStatus.RETIRED}
    ),
    NodeStatus.ERROR: frozenset(
        {NodeStatus.REGISTERED, NodeStatus.MAINTENANCE, NodeStatus.RETIRED}
    ),
    NodeStatus.MAINTENANCE: frozenset(
        {NodeStatus.REGISTERED, NodeStatus.READY, NodeStatus.RETIRED}
    ),
    # A retired node comes back only through maintenance, so that it is checked first.
    NodeStatus.RETIRED: frozenset({NodeStatus.MAINTENANCE}),
}

DEPLOY_TRANSITIONS: dict[DeployStatus, frozenset[DeployStatus]] = {
    DeployStatus.DEPLOY_START: frozenset(
        {DeployStatus.DEPLOYING, DeployStatus.UNRECOVERABLE_ERROR}
    ),
    DeployStatus.DEPLOYING: frozenset({DeployStatus.INSTALLED, DeployStatus.UNRECOVERABLE_ERROR}),
    DeployStatus.INSTALLED: frozenset({DeployStatus.DEPLOY_START}),
    DeployStatus.UNRECOVERABLE_ERROR: frozenset({DeployStatus.DEPLOY_START}),
}


# A known node in these may register again unasked: it has not finished registering (a
# retry, or a machine whose registration failed). Any other needs an operator's arming.
NODE_REGISTERING = frozenset({NodeStatus.REGISTERED, NodeStatus.ERROR})


def node_move_allowed(current: str, target: str) -> bool:
    """True when a node may go from `current` to `target` status."""
    return NodeStatus(target) in NODE_TRANSITIONS[NodeStatus(current)]


def deploy_move_allowed(current: str, target: str) -> bool:
    """True when a Baremetal may go from `current` to `target` status."""
    return DeployStatus(target) in DEPLOY_TRANSITIONS[DeployStatus(current)]
