"""Everything that changes Bearman's data goes through a function here."""

from .baremetals import baremetal_create, baremetal_delete, baremetal_update
from .catalog import (
    artifact_delete,
    artifact_store,
    flavor_delete,
    flavor_save,
    profile_delete,
    profile_save,
)
from .events import event_record
from .nodes import node_create, node_delete, node_set_bmc_password, node_set_facts, node_update
from .transitions import baremetal_transition, node_transition

__all__ = [
    "artifact_delete",
    "artifact_store",
    "baremetal_create",
    "baremetal_delete",
    "baremetal_transition",
    "baremetal_update",
    "event_record",
    "flavor_delete",
    "flavor_save",
    "node_create",
    "node_delete",
    "node_set_bmc_password",
    "node_set_facts",
    "node_transition",
    "node_update",
    "profile_delete",
    "profile_save",
]
