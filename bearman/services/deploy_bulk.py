"""Deploying many nodes at once: each gets its flavor's default profile and is powered on."""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from bearman.errors import BearmanError
from bearman.models import Node, PowerAction
from ipman.errors import IpmanError

from .deployments import baremetal_create
from .power import power_action_request


@dataclass
class BulkDeployReport:
    deployed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # uuid → why


def default_hostname(node: Node) -> str:
    """`<flavor>-<serial>`, lowercased, anything but letters and digits made a hyphen."""
    raw = f"{node.flavor.name}-{node.serial or node.uuid[:8]}".lower()
    return re.sub(r"[^a-z0-9-]+", "-", raw).strip("-")[:63]


def nodes_deploy_default(*, nodes, actor: str) -> BulkDeployReport:
    """Deploy each node's flavor default profile and power it on; say why any is skipped."""
    report = BulkDeployReport()
    for node in nodes.select_related("flavor__default_profile", "baremetal"):
        problem = _why_not(node)
        if problem:
            report.skipped[node.uuid] = problem
            continue
        try:
            baremetal_create(
                node=node,
                profile=node.flavor.default_profile,
                hostname=default_hostname(node),
                actor=actor,
            )
            power_action_request(node=node, action=PowerAction.ON, actor=actor)
        except (BearmanError, IpmanError, ValidationError) as error:
            report.skipped[node.uuid] = "; ".join(getattr(error, "messages", [str(error)]))
            continue
        report.deployed.append(node.uuid)
    return report


def _why_not(node: Node) -> str:
    if hasattr(node, "baremetal"):
        return f"already has deployment {node.baremetal.hostname}"
    if node.flavor is None or node.flavor.default_profile is None:
        return "no flavor with a default profile"
    return ""
