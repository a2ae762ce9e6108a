"""Conformance: a node's facts against its flavor's expectations and its cabling plan."""

from .rules import Difference, node_differences
from .selectors import NodeConformance, difference_waivable, node_conformance
from .verdicts import (
    Subject,
    conformance_waive,
    differences_text,
    node_conformance_recheck,
    nodes_conformance_check,
)

__all__ = [
    "Difference",
    "NodeConformance",
    "Subject",
    "conformance_waive",
    "difference_waivable",
    "differences_text",
    "node_conformance",
    "node_conformance_recheck",
    "node_differences",
    "nodes_conformance_check",
]
