"""Verdicts: check nodes against their flavor and cabling plan, hold or release them.

A node that fails is taken out of service (REGISTERED or READY → MAINTENANCE, with the
reason) and a notice names each difference. An operator accepts a difference with a
waiver, or asks a re-check (of the stored facts, against the flavor, the plan and the
waivers as they are now); a node held by conformance that passes goes back to
REGISTERED, where the normal flow (its BMC check) makes it READY. After a hardware or
cable fix the facts must be new: arm a re-registration, whose verdict counts the same.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bearman.errors import ConformanceNothingToWaive
from bearman.models import (
    CablingLink,
    ConformanceDifference,
    ConformanceVerdict,
    ConformanceWaiver,
    DifferenceKind,
    Node,
    NoticeKind,
    VerdictTrigger,
)
from bearman.models.conformance import WAIVER_REASON_MAX
from bearman.states import NodeStatus

from ..cabling import expected_links
from ..notices import notice_raise
from ..power.bmc_check import bmc_checks_request
from ..transitions import node_transition
from .rules import Difference, node_differences
from .selectors import difference_waivable

# A failing verdict takes nodes in these out of service; others keep their status.
IN_SERVICE = frozenset({NodeStatus.REGISTERED, NodeStatus.READY})


def nodes_conformance_check(*, node_ids: list[int], actor: str) -> set[int]:
    """Check these just-registered nodes (in the caller's transaction); the ids held.

    A node with no flavor, no cabling plan and no earlier verdict has nothing to check
    and gets no verdict.
    """
    nodes = list(Node.objects.filter(pk__in=node_ids).select_related("flavor"))
    checked = set(
        ConformanceVerdict.objects.filter(node_id__in=node_ids, latest=True).values_list(
            "node_id", flat=True
        )
    )
    planned = _planned(nodes)
    held = set()
    for node in nodes:
        links = expected_links(node) if planned(node) else {}
        if node.flavor is None and not links and node.pk not in checked:
            continue
        verdict = _verdict_record(node, links, VerdictTrigger.REGISTRATION, actor)
        if verdict.held:
            held.add(node.pk)
    return held


def _planned(nodes: list[Node]):
    """Whether the cabling plan names a node: one query for the batch, so that only the
    nodes it names cost a query of their own (expected_links)."""
    serials = {node.serial for node in nodes if node.serial}
    positions = {node.rack_position for node in nodes if node.rack_position}
    rows = CablingLink.objects.filter(
        Q(serial__in=serials) | Q(rack_position__in=positions)
    ).values_list("serial", "rack_position")
    named = {value for row in rows for value in row if value}
    return lambda node: bool({node.serial, node.rack_position} & named)


def node_conformance_recheck(*, node: Node, actor: str) -> ConformanceVerdict:
    """Check the node's stored facts again, as an operator asked; holds or releases it."""
    with transaction.atomic():
        node = Node.objects.select_for_update(of=("self",)).select_related("flavor").get(pk=node.pk)
        return _verdict_record(node, expected_links(node), VerdictTrigger.RECHECK, actor)


def conformance_waive(
    *, node: Node, kind: str, component: str, reason: str, actor: str
) -> ConformanceWaiver:
    """Accept one difference of the node's latest verdict; a re-check then passes it over."""
    reason = (reason or "").strip()
    if not reason:
        raise ConformanceNothingToWaive("A waiver needs a reason: say why this is acceptable.")
    if len(reason) > WAIVER_REASON_MAX:
        raise ConformanceNothingToWaive(
            f"A waiver's reason has at most {WAIVER_REASON_MAX} characters."
        )
    with transaction.atomic():
        if not difference_waivable(node=node, kind=kind, component=component):
            shown = DifferenceKind(kind).label if kind in DifferenceKind.values else kind
            raise ConformanceNothingToWaive(
                f"Node {node.uuid}'s latest verdict has no difference {shown!r} of "
                f"{component[:64]!r}: nothing to waive."
            )
        waiver, _ = ConformanceWaiver.objects.update_or_create(
            node=node,
            kind=kind,
            component=component,
            defaults={"reason": reason, "created_by": actor, "created_at": timezone.now()},
        )
        ConformanceDifference.objects.filter(
            verdict__node=node, verdict__latest=True, kind=kind, component=component
        ).update(waiver=waiver)
    return waiver


def _verdict_record(node: Node, links: dict, trigger: VerdictTrigger, actor: str):
    """Evaluate, keep the verdict as the node's latest, then hold, release or announce."""
    differences = node_differences(flavor=node.flavor, facts=node.facts, links=links)
    waivers = {(w.kind, w.component): w for w in node.conformance_waivers.all()}
    failing = [d for d in differences if d.key not in waivers]
    previous = ConformanceVerdict.objects.filter(node=node, latest=True).first()
    still_held = bool(previous and previous.held and node.status == NodeStatus.MAINTENANCE)
    holds = bool(failing) and node.status in IN_SERVICE
    if previous:
        ConformanceVerdict.objects.filter(pk=previous.pk).update(latest=False)
    verdict = ConformanceVerdict.objects.create(
        node=node,
        trigger=trigger,
        actor=actor,
        flavor_name=node.flavor.name if node.flavor else "",
        passed=not failing,
        held=holds or (bool(failing) and still_held),
    )
    ConformanceDifference.objects.bulk_create(
        [_difference_row(verdict, d, waivers.get(d.key)) for d in differences]
    )
    if holds:
        _hold(node, failing, actor, announce=True)
    elif failing and trigger == VerdictTrigger.REGISTRATION:
        _announce(node, failing)
    elif not failing and still_held:
        _release(node, actor)
    return verdict


def _difference_row(verdict, difference: Difference, waiver) -> ConformanceDifference:
    return ConformanceDifference(
        verdict=verdict,
        rule=difference.rule,
        kind=difference.kind,
        component=difference.component[:64],
        expected=difference.expected,
        found=difference.found,
        waiver=waiver,
    )


def differences_text(differences: list[Difference]) -> str:
    """The differences in one line each, as the notice and the node's event say them."""
    return "\n".join(
        f"- {d.kind.label} ({d.component}): expected {d.expected}, found {d.found}"
        for d in differences
    )


def _hold(node: Node, failing: list[Difference], actor: str, *, announce: bool) -> None:
    count = f"{len(failing)} difference{'s' if len(failing) > 1 else ''}"
    node_transition(
        node=node,
        to=NodeStatus.MAINTENANCE,
        actor=actor,
        message=f"Held: does not conform ({count})\n{differences_text(failing)}",
    )
    if announce:
        _announce(node, failing)


def _announce(node: Node, failing: list[Difference]) -> None:
    flavor = f"flavor {node.flavor.name}" if node.flavor else "no flavor"
    notice_raise(
        node=node,
        kind=NoticeKind.CONFORMANCE_FAILED,
        message=f"Does not conform ({flavor}, cabling plan):\n{differences_text(failing)}",
    )


def _release(node: Node, actor: str) -> None:
    """Back into the normal flow: REGISTERED, and its BMC check makes it READY."""
    node_transition(
        node=node,
        to=NodeStatus.REGISTERED,
        actor=actor,
        message="Conforms now: back to registered; READY once its BMC answers",
    )
    bmc_checks_request(node_ids=[node.pk])
