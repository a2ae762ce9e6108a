"""Everything that changes Bearman's data goes through a function here."""

from .deployments import baremetal_create
from .events import event_record
from .nodes import node_set_bmc_password, node_set_facts
from .transitions import baremetal_transition, node_transition

__all__ = [
    "baremetal_create",
    "baremetal_transition",
    "event_record",
    "node_set_bmc_password",
    "node_set_facts",
    "node_transition",
]
