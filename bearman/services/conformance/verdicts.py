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
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from bearman.errors import ConformanceNothingToWaive
from bearman.models import (
    ConformanceDifference,
    ConformanceVerdict,
    ConformanceWaiver,
    DifferenceKind,
    Flavor,
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


class Subject(NamedTuple):
    """What a check reads of a node: its row's fields and the facts to check."""

    pk: int
    uuid: str
    status: str
    flavor_id: int | None
    serial: str
    rack_position: str
    facts: dict

    @classmethod
    def of(cls, node: Node) -> "Subject":
        return cls(
            node.pk,
            node.uuid,
            node.status,
            node.flavor_id,
            node.serial,
            node.rack_position,
            node.facts,
        )


def nodes_conformance_check(
    *, nodes: list[Subject], actor: str, created: frozenset[int] = frozenset()
) -> set[int]:
    """Check these just-registered nodes (in the caller's transaction); the ids held.

    The caller hands over what it holds of each locked node and the facts it just wrote,
    and which of them it `created` (no verdict yet, so none is looked for): a batch costs
    a few statements whatever its size, and one or two narrow reads when it has nothing
    to check (no flavor, no cabling plan, no earlier verdict: no verdict either).
    """
    history = _latest_held([node.pk for node in nodes if node.pk not in created])
    links = planned_links(nodes)
    due = [n for n in nodes if n.flavor_id or links[n.pk] or n.pk in history]
    verdicts = _verdicts_record(due, links, history, VerdictTrigger.REGISTRATION, actor)
    return {verdict.node_id for verdict in verdicts if verdict.held}


def node_conformance_recheck(*, node: Node, actor: str) -> ConformanceVerdict:
    """Check the node's stored facts again, as an operator asked; holds or releases it."""
    with transaction.atomic():
        subject = Subject.of(Node.objects.select_for_update().get(pk=node.pk))
        history = _latest_held([subject.pk])
        links = planned_links([subject])
        return _verdicts_record([subject], links, history, VerdictTrigger.RECHECK, actor)[0]


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

    subject: Subject
    flavor: Flavor | None
    verdict: ConformanceVerdict
    differences: list[Difference]
    waivers: dict
    failing: list[Difference]
    was_held: bool


def _latest_held(node_ids: list[int]) -> dict[int, bool]:
    """Of these nodes, those with a verdict: whether their latest one held them."""
    if not node_ids:
        return {}
    latest = ConformanceVerdict.objects.filter(node_id__in=node_ids, latest=True)
    return dict(latest.values_list("node_id", "held"))


def _verdicts_record(subjects, links, history, trigger, actor) -> list[ConformanceVerdict]:
    """Evaluate each node, keep the verdicts as the nodes' latest, then hold, release or
    announce: the writes of a batch in a few statements (holds and notices are rare).

    `history`: whether each node's latest verdict held it, for the nodes that have one.
    """
    if not subjects:
        return []
    flavors = Flavor.objects.in_bulk({s.flavor_id for s in subjects if s.flavor_id})
    waivers = defaultdict(dict)
    # A waiver accepts a difference of a verdict: a node never checked has none.
    checked_before = [s.pk for s in subjects if s.pk in history]
    for waiver in ConformanceWaiver.objects.filter(node_id__in=checked_before):
        waivers[waiver.node_id][(waiver.kind, waiver.component)] = waiver
    outcomes = [
        _evaluate(s, flavors.get(s.flavor_id), links[s.pk], waivers[s.pk], history, trigger, actor)
        for s in subjects
    ]
    if checked_before:
        ConformanceVerdict.objects.filter(node_id__in=checked_before, latest=True).update(
            latest=False
        )
    ConformanceVerdict.objects.bulk_create([outcome.verdict for outcome in outcomes])
    ConformanceDifference.objects.bulk_create(
        _difference_row(outcome.verdict, difference, outcome.waivers.get(difference.key))
        for outcome in outcomes
        for difference in outcome.differences
    )
    for outcome in outcomes:
        _follow_up(outcome, trigger, actor)
    return [outcome.verdict for outcome in outcomes]


def _evaluate(subject, flavor, links, waivers, history, trigger, actor) -> _Outcome:
    differences = node_differences(flavor=flavor, facts=subject.facts, links=links)
    failing = [d for d in differences if d.key not in waivers]
    was_held = history.get(subject.pk, False) and subject.status == NodeStatus.MAINTENANCE
    holds = bool(failing) and subject.status in IN_SERVICE
    verdict = ConformanceVerdict(
        node_id=subject.pk,
        trigger=trigger,
        actor=actor,
        flavor_name=flavor.name if flavor else "",
        passed=not failing,
        held=holds or (bool(failing) and was_held),
    )
    return _Outcome(subject, flavor, verdict, differences, waivers, failing, was_held)


def _follow_up(outcome: _Outcome, trigger, actor: str) -> None:
    status, failing = outcome.subject.status, outcome.failing
    if not (failing or outcome.was_held):
        return  # passed, as most do: nothing to change
    # The node is locked by the caller: read it whole only for the rare follow-up.
    node = Node.objects.get(pk=outcome.subject.pk)
    if failing and status in IN_SERVICE:
        _hold(node, outcome.flavor, failing, actor)
    elif failing and trigger == VerdictTrigger.REGISTRATION:
        _announce(node, outcome.flavor, failing)
    elif not failing:
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


def _hold(node: Node, flavor: Flavor | None, failing: list[Difference], actor: str) -> None:
    count = f"{len(failing)} difference{'s' if len(failing) > 1 else ''}"
    node_transition(
        node=node,
        to=NodeStatus.MAINTENANCE,
        actor=actor,
        message=f"Held: does not conform ({count})\n{differences_text(failing)}",
    )
    _announce(node, flavor, failing)


def _announce(node: Node, flavor: Flavor | None, failing: list[Difference]) -> None:
    against = f"flavor {flavor.name}" if flavor else "no flavor"
    notice_raise(
        node=node,
        kind=NoticeKind.CONFORMANCE_FAILED,
        message=f"Does not conform ({against}, cabling plan):\n{differences_text(failing)}",
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
