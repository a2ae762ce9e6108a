"""Verdicts: check nodes against their flavor and cabling plan, hold or release them.

A node that fails is taken out of service (REGISTERED or READY → MAINTENANCE, with the
reason) and a notice names each difference. An operator accepts a difference with a
waiver, or asks a re-check (of the stored facts, against the flavor, the plan and the
waivers as they are now); a node held by conformance that passes goes back to
REGISTERED, where the normal flow (its BMC check) makes it READY. After a hardware or
cable fix the facts must be new: arm a re-registration, whose verdict counts the same.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from bearman.errors import ConformanceNothingToWaive
from bearman.models import (
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

from ..notices import notice_raise
from ..power.bmc_check import bmc_checks_request
from ..transitions import node_transition
from .plan import planned_links
from .rules import Difference, node_differences
from .selectors import difference_waivable

# A failing verdict takes nodes in these out of service; others keep their status.
IN_SERVICE = frozenset({NodeStatus.REGISTERED, NodeStatus.READY})


def nodes_conformance_check(*, node_ids: list[int], actor: str) -> set[int]:
    """Check these just-registered nodes (in the caller's transaction); the ids held.

    A node with no flavor, no cabling plan and no earlier verdict has nothing to check
    and gets no verdict. A few statements for the whole batch, whatever its size.
    """
    # Who has anything to check, before reading anyone's facts.
    nodes = list(_with_history(Node.objects.filter(pk__in=node_ids).defer("facts")))
    links = planned_links(nodes)
    due = [n for n in nodes if n.flavor_id or links[n.pk] or n.had_verdict]
    if due:
        facts = dict(Node.objects.filter(pk__in=[n.pk for n in due]).values_list("pk", "facts"))
        for node in due:
            node.facts = facts[node.pk]
    verdicts = _verdicts_record(due, links, VerdictTrigger.REGISTRATION, actor)
    return {verdict.node_id for verdict in verdicts if verdict.held}


def node_conformance_recheck(*, node: Node, actor: str) -> ConformanceVerdict:
    """Check the node's stored facts again, as an operator asked; holds or releases it."""
    with transaction.atomic():
        node = _with_history(Node.objects.select_for_update(of=("self",))).get(pk=node.pk)
        return _verdicts_record([node], planned_links([node]), VerdictTrigger.RECHECK, actor)[0]


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


@dataclass
class _Outcome:
    """One node's new verdict and what follows from it."""

    node: Node
    verdict: ConformanceVerdict
    differences: list[Difference]
    waivers: dict
    failing: list[Difference]
    was_held: bool


def _with_history(nodes):
    """Nodes with their flavor and, in the same query, whether they have a verdict, whether
    the latest held them, and whether they have waivers."""
    latest = ConformanceVerdict.objects.filter(node=OuterRef("pk"), latest=True)
    return nodes.select_related("flavor").annotate(
        had_verdict=Exists(latest),
        was_held=Exists(latest.filter(held=True)),
        has_waivers=Exists(ConformanceWaiver.objects.filter(node=OuterRef("pk"))),
    )


def _verdicts_record(nodes, links, trigger, actor) -> list[ConformanceVerdict]:
    """Evaluate each node, keep the verdicts as the nodes' latest, then hold, release or
    announce: the writes of a batch in a few statements (holds and notices are rare)."""
    if not nodes:
        return []
    waivers = defaultdict(dict)
    waived = [node.pk for node in nodes if node.has_waivers]
    for waiver in ConformanceWaiver.objects.filter(node_id__in=waived) if waived else ():
        waivers[waiver.node_id][(waiver.kind, waiver.component)] = waiver
    outcomes = [_evaluate(node, links[node.pk], waivers[node.pk], trigger, actor) for node in nodes]
    superseded = [node.pk for node in nodes if node.had_verdict]
    if superseded:
        ConformanceVerdict.objects.filter(node_id__in=superseded, latest=True).update(latest=False)
    ConformanceVerdict.objects.bulk_create([outcome.verdict for outcome in outcomes])
    ConformanceDifference.objects.bulk_create(
        _difference_row(outcome.verdict, difference, outcome.waivers.get(difference.key))
        for outcome in outcomes
        for difference in outcome.differences
    )
    for outcome in outcomes:
        _follow_up(outcome, trigger, actor)
    return [outcome.verdict for outcome in outcomes]


def _evaluate(node, links, waivers, trigger, actor) -> _Outcome:
    differences = node_differences(flavor=node.flavor, facts=node.facts, links=links)
    failing = [d for d in differences if d.key not in waivers]
    was_held = node.was_held and node.status == NodeStatus.MAINTENANCE
    holds = bool(failing) and node.status in IN_SERVICE
    verdict = ConformanceVerdict(
        node=node,
        trigger=trigger,
        actor=actor,
        flavor_name=node.flavor.name if node.flavor else "",
        passed=not failing,
        held=holds or (bool(failing) and was_held),
    )
    return _Outcome(node, verdict, differences, waivers, failing, was_held)


def _follow_up(outcome: _Outcome, trigger, actor: str) -> None:
    node, failing = outcome.node, outcome.failing
    if failing and node.status in IN_SERVICE:
        _hold(node, failing, actor)
    elif failing and trigger == VerdictTrigger.REGISTRATION:
        _announce(node, failing)
    elif not failing and outcome.was_held:
        _release(node, actor)


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


def _hold(node: Node, failing: list[Difference], actor: str) -> None:
    count = f"{len(failing)} difference{'s' if len(failing) > 1 else ''}"
    node_transition(
        node=node,
        to=NodeStatus.MAINTENANCE,
        actor=actor,
        message=f"Held: does not conform ({count})\n{differences_text(failing)}",
    )
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
