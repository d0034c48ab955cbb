"""Evaluation of bonescan against simulator truth (reads what ``bonescan simulate`` writes)."""

from bonescan.evaluate.anatomy import AnatomyEvaluation, evaluate_anatomy
from bonescan.evaluate.defects import DefectsEvaluation, evaluate_defects
from bonescan.evaluate.findings import FindingsEvaluation, evaluate_findings

__all__ = [
    "AnatomyEvaluation",
    "DefectsEvaluation",
    "FindingsEvaluation",
    "evaluate_anatomy",
    "evaluate_defects",
    "evaluate_findings",
]
