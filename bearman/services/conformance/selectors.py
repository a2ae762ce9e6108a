"""Reading verdicts: a node's latest, its history, its waivers."""

from dataclasses import dataclass

from django.db.models import Prefetch

from bearman.models import ConformanceDifference, ConformanceVerdict, ConformanceWaiver, Node

HISTORY = 20


@dataclass(frozen=True)
class NodeConformance:
    """What an operator reads of one node: its verdicts, newest first, and its waivers."""

    node: Node
    verdicts: list[ConformanceVerdict]
    waivers: list[ConformanceWaiver]

    @property
    def latest(self) -> ConformanceVerdict | None:
        return self.verdicts[0] if self.verdicts and self.verdicts[0].latest else None


def node_conformance(*, node: Node, history: int = HISTORY) -> NodeConformance:
    """The node's newest `history` verdicts with their differences, and its waivers."""
    differences = ConformanceDifference.objects.select_related("waiver").order_by("id")
    verdicts = node.conformance_verdicts.prefetch_related(
        Prefetch("differences", queryset=differences)
    )[:history]
    return NodeConformance(
        node=node, verdicts=list(verdicts), waivers=list(node.conformance_waivers.all())
    )


def difference_waivable(*, node: Node, kind: str, component: str) -> bool:
    """True when the node's latest verdict has this difference, so a waiver may accept it."""
    return ConformanceDifference.objects.filter(
        verdict__node=node, verdict__latest=True, kind=kind, component=component
    ).exists()
