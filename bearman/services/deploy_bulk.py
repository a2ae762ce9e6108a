"""Deploying many nodes at once: each gets its flavor's default profile and is booted."""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from bearman.errors import BearmanError
from bearman.models import Node, PowerAction, PowerState
from ipman.errors import IpmanError

from .baremetals import baremetal_create
from .power.request import power_action_request

# Nodes committed together; each node's own work is a savepoint inside.
CHUNK = 25


@dataclass
class BulkDeployReport:
    deployed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # uuid → why


def default_hostname(node: Node) -> str:
    """`<flavor>-<serial>`, lowercased, anything but letters and digits made a hyphen."""
    raw = f"{node.flavor.name}-{node.serial or node.uuid[:8]}".lower()
    return re.sub(r"[^a-z0-9-]+", "-", raw).strip("-")[:63]


def nodes_deploy_default(*, nodes, actor: str) -> BulkDeployReport:
    """Deploy each node's flavor default profile and power it on; say why any is skipped.

    A skipped node keeps nothing of its attempt. Nodes are committed `CHUNK` at a time:
    one commit per node made a rack's request wait on the database lock hundreds of
    times over, behind the agents' own writes, while the first machines already booted.
    """
    report = BulkDeployReport()
    selected = list(nodes.select_related("flavor__default_profile", "baremetal"))
    for first in range(0, len(selected), CHUNK):
        with transaction.atomic():
            for node in selected[first : first + CHUNK]:
                problem = _why_not(node) or _deploy(node, actor)
                if problem:
                    report.skipped[node.uuid] = problem
                else:
                    report.deployed.append(node.uuid)
    return report


def _deploy(node: Node, actor: str) -> str:
    """Create the Baremetal and queue its boot; what went wrong, in words, or ""."""
    try:
        with transaction.atomic():
            baremetal_create(
                node=node,
                profile=node.flavor.default_profile,
                hostname=default_hostname(node),
                actor=actor,
            )
            power_action_request(node=node, action=deploy_power_action(node), actor=actor)
    except (BearmanError, IpmanError, ValidationError) as error:
        return "; ".join(getattr(error, "messages", [str(error)]))
    return ""


def deploy_power_action(node: Node) -> PowerAction:
    """How to boot a node into its Baremetal: a cycle when it is known to be on, else on.

    A power on does nothing to a machine that is on: the Baremetal would wait for a boot
    that never comes. (Every driver's cycle powers an off machine on, so a power state
    that is out of date costs nothing; an on, unlike a cycle, is retried on a BMC blip.)
    """
    return PowerAction.CYCLE if node.power_state == PowerState.ON else PowerAction.ON


def _why_not(node: Node) -> str:
    if hasattr(node, "baremetal"):
        return f"already has Baremetal {node.baremetal.hostname}"
    if node.flavor is None or node.flavor.default_profile is None:
        return "no flavor with a default profile"
    return ""
