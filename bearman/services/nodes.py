from django.db import transaction

from bearman.crypto import encrypt_secret
from bearman.facts import fact_macs
from bearman.models import EventKind, Node

from .events import event_record


def node_set_bmc_password(*, node: Node, password: str, actor: str) -> Node:
    """Store a new BMC password (encrypted); an empty one clears it. Never logs the value."""
    node.bmc_password_encrypted = encrypt_secret(password) if password else ""
    with transaction.atomic():
        node.save(update_fields=["bmc_password_encrypted", "updated_at"])
        event_record(
            node=node,
            kind=EventKind.BMC_CONFIGURED,
            message="BMC password changed" if password else "BMC password cleared",
            actor=actor,
        )
    return node


def node_set_facts(*, node: Node, facts: dict) -> Node:
    """Replace the node's hardware facts and the MAC index the admin searches."""
    node.facts = facts
    node.mac_addresses = " ".join(fact_macs(facts))
    node.save(update_fields=["facts", "mac_addresses", "updated_at"])
    return node
