"""Evaluation of bonescan against simulator truth (reads what ``bonescan simulate`` writes)."""

from bonescan.evaluate.anatomy import AnatomyEvaluation, evaluate_anatomy

__all__ = ["AnatomyEvaluation", "evaluate_anatomy"]
