"""Evaluation of bonescan against simulator truth (reads what ``bonescan simulate`` writes)."""

from bonescan.evaluate.anatomy import AnatomyEvaluation, evaluate_anatomy
from bonescan.evaluate.findings import FindingsEvaluation, evaluate_findings

__all__ = ["AnatomyEvaluation", "FindingsEvaluation", "evaluate_anatomy", "evaluate_findings"]
