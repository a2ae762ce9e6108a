import logging

from django.db import transaction

from bearman.crypto import encrypt_secret
from bearman.facts import fact_macs
from bearman.ipxe.rendered import ipxe_forget_nodes
from bearman.models import EventKind, Node

from .addresses import node_addresses_release
from .events import FieldChanges, event_record
from .transitions import node_transition

logger = logging.getLogger(__name__)


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


# What an operator may change on a node besides its status and BMC password (the identity
# facts only in the admin: the API leaves them to registration).
NODE_SETTINGS = frozenset(
    {
        "serial",
        "vendor",
        "product_name",
        "flavor",
        "availability_zone",
        "bmc_driver",
        "bmc_address",
        "bmc_port",
        "bmc_username",
        "bmc_options",
    }
)


def node_update(
    *,
    node: Node,
    actor: str,
    status: str | None = None,
    bmc_password: str | None = None,
    **settings,
) -> Node:
    """Change a node's settings, status and BMC password together: all of it, or nothing."""
    unknown = set(settings) - NODE_SETTINGS
    if unknown:
        raise TypeError(f"node_update cannot change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        if status is not None and status != node.status:
            node_transition(node=node, to=status, actor=actor)
        _apply_settings(node=node, settings=settings, actor=actor)
        if bmc_password is not None:
            node_set_bmc_password(node=node, password=bmc_password, actor=actor)
    return node


def _apply_settings(*, node: Node, settings: dict, actor: str) -> None:
    changes = FieldChanges.between(node, settings)
    if not changes:
        return
    changes.apply(node)
    node.save(update_fields=[*changes, "updated_at"])
    event_record(
        node=node,
        kind=EventKind.NOTE,
        message=f"Settings changed: {changes.described()}",
        actor=actor,
        data={"changes": changes.as_data()},
    )


def node_delete(*, node: Node, actor: str) -> None:
    """Remove a node with its deployment; its addresses go back to IPman, its script goes.

    Its events go with it, so the removal is logged rather than recorded.
    """
    uuid = node.uuid
    with transaction.atomic():
        node.delete()
        released = node_addresses_release(uuid=uuid)
        # Without the file the node's next boot reaches Bearman, which registers it afresh.
        transaction.on_commit(lambda: ipxe_forget_nodes(uuids=[uuid]), robust=True)
    logger.info(
        "Node %s deleted by %s; addresses released: %s", uuid, actor, ", ".join(released) or "none"
    )
