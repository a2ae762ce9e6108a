import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from bearman.crypto import encrypt_secret
from bearman.errors import BmcChangeNotAllowed
from bearman.facts import fact_macs
from bearman.models import BootStep, EventKind, Node
from bearman.power.options import option_problems

from .addresses import node_addresses_release
from .boot_files import ipxe_forget_nodes
from .events import FieldChanges, event_record
from .transitions import node_transition

logger = logging.getLogger(__name__)


def node_set_bmc_password(*, node: Node, password: str, actor: str, why: str = "") -> Node:
    """Store a new BMC password (encrypted); an empty one clears it. Never logs the value."""
    node.bmc_password_encrypted = encrypt_secret(password) if password else ""
    message = "BMC password changed" if password else "BMC password cleared"
    with transaction.atomic():
        node.save(update_fields=["bmc_password_encrypted", "updated_at"])
        event_record(
            node=node,
            kind=EventKind.BMC_CONFIGURED,
            message=f"{message}: {why}" if why else message,
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
        "rack_position",
        "bmc_driver",
        "bmc_address",
        "bmc_port",
        "bmc_username",
        "bmc_options",
    }
)


# The settings that decide where the stored BMC password is sent, and whether the BMC's
# certificate is checked first: changing any of them could hand the password to someone
# else, so it needs the power permission and forgets the password.
BMC_ENDPOINT = ("bmc_driver", "bmc_address", "bmc_port")
BMC_ENDPOINT_OPTIONS = ("verify_tls",)


def node_create(
    *, uuid: str, actor: str, status: str | None = None, bmc_password: str = "", **settings
) -> Node:
    """Add a node by hand (it has not registered): recorded as an Event, its script rendered.

    Nothing is moved, so the BMC settings need no power permission here; the password is
    stored encrypted, as on every other path.
    """
    unknown = set(settings) - NODE_SETTINGS
    if unknown:
        raise TypeError(f"node_create cannot set {', '.join(sorted(unknown))}")
    with transaction.atomic():
        node = Node(uuid=uuid, **settings)
        if status:
            node.status = status
        _check_bmc_options(node=node, settings=settings)
        node.full_clean()
        node.save()
        # A status Event: its boot script follows from it, as after any status change.
        event_record(
            node=node,
            kind=EventKind.NODE_STATUS,
            message=f"Added by hand as {node.get_status_display()}",
            actor=actor,
            data={"to": node.status},
        )
        if bmc_password:
            node_set_bmc_password(node=node, password=bmc_password, actor=actor)
    return node


def node_update(
    *,
    node: Node,
    actor: str,
    may_operate_power: bool = False,
    status: str | None = None,
    bmc_password: str | None = None,
    **settings,
) -> Node:
    """Change a node's settings, status and BMC password together: all of it, or nothing.

    Moving the BMC needs `may_operate_power` (the caller's power permission) and forgets
    the stored password unless `bmc_password` sets one.
    """
    unknown = set(settings) - NODE_SETTINGS
    if unknown:
        raise TypeError(f"node_update cannot change {', '.join(sorted(unknown))}")
    _check_bmc_options(node=node, settings=settings)
    moved = bmc_endpoint_changes(node=node, settings=settings)
    if moved and not may_operate_power:
        raise BmcChangeNotAllowed(
            f"Changing {', '.join(moved)} needs the power permission (Can operate node "
            "power): it decides where the node's BMC password is sent."
        )
    forget = bool(moved) and bmc_password is None and node.has_bmc_password
    with transaction.atomic():
        if status is not None and status != node.status:
            node_transition(node=node, to=status, actor=actor)
        _apply_settings(node=node, settings=settings, actor=actor)
        if forget:  # the stored password was for the BMC the node had before
            why = f"{', '.join(moved)} changed and no new password was given"
            node_set_bmc_password(node=node, password="", actor=actor, why=why)
        elif bmc_password is not None:
            node_set_bmc_password(node=node, password=bmc_password, actor=actor)
    return node


def bmc_endpoint_changes(*, node: Node, settings: dict) -> list[str]:
    """Which of `settings` would move the node's BMC (see BMC_ENDPOINT), by name."""
    moved = [f for f in BMC_ENDPOINT if f in settings and settings[f] != getattr(node, f)]
    if "bmc_options" in settings:
        old, new = node.bmc_options or {}, settings["bmc_options"] or {}
        moved += [f"bmc_options.{o}" for o in BMC_ENDPOINT_OPTIONS if old.get(o) != new.get(o)]
    return moved


def bmc_options_problems(*, node: Node, settings: dict) -> list[str]:
    """What is wrong with the node's BMC options for its driver once `settings` apply."""
    if "bmc_driver" not in settings and "bmc_options" not in settings:
        return []  # untouched: a change elsewhere is not refused for them
    driver = settings.get("bmc_driver", node.bmc_driver)
    return option_problems(settings.get("bmc_options", node.bmc_options) or {}, driver)


def _check_bmc_options(*, node: Node, settings: dict) -> None:
    problems = bmc_options_problems(node=node, settings=settings)
    if problems:
        raise ValidationError({"bmc_options": problems})


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
    """Remove a node with its Baremetal; its addresses go back to IPman, its script goes.

    Its events go with it, so the removal is logged rather than recorded.
    """
    uuid = node.uuid
    with transaction.atomic():
        node.delete()
        # Its registration's timeline is keyed by UUID, not by the node: it goes too.
        BootStep.objects.filter(node_uuid=uuid).delete()
        released = node_addresses_release(uuid=uuid)
        # Without the file the node's next boot reaches Bearman, which registers it afresh.
        transaction.on_commit(lambda: ipxe_forget_nodes(uuids=[uuid]), robust=True)
    logger.info(
        "Node %s deleted by %s; addresses released: %s", uuid, actor, ", ".join(released) or "none"
    )
