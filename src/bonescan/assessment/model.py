"""What :func:`~bonescan.assessment.analyze` returns: the reading of one study."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bonescan.anatomy.model import Anatomy
from bonescan.classify.judge import JudgedFinding
from bonescan.detect.model import Findings
from bonescan.quantify.bsi import BoneScanIndex
from bonescan.study import QualityCheck, Study

__all__ = ["Assessment", "Pretest", "PrimaryCancer"]


class PrimaryCancer(StrEnum):
    """The primary cancer the user gives (``unknown`` when not given)."""

    PROSTATE = "prostate"
    BREAST = "breast"
    LUNG = "lung"
    KIDNEY = "kidney"
    THYROID = "thyroid"
    MYELOMA = "myeloma"
    OTHER = "other"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Pretest:
    """A pre-test probability of skeletal metastases and where it comes from.

    Attributes
    ----------
    probability : float
        The share of such patients with skeletal metastases (for myeloma, bone disease), strictly
        between 0 and 1.
    source : str
        Where the figure comes from (a publication, or the user).
    """

    probability: float
    source: str


@dataclass(frozen=True, eq=False)
class Assessment:
    """The reading of one study: findings with labels, patient probability, BSI and impression.

    Attributes
    ----------
    study : Study
        The study read.
    anatomy : Anatomy
        Its region labels.
    findings : Findings
        Every candidate finding with the uptake references.
    judged : tuple of JudgedFinding
        The findings kept (normal uptake dropped), each with label, probability and reasons.
    bsi : BoneScanIndex
        The Bone Scan Index and its parts.
    metastasis_probability : float
        The patient-level probability of skeletal metastases.
    hotspot_count : int
        Findings whose metastasis probability is at least 0.5.
    super_scan : bool
        Whether the pattern of a super scan was seen.
    primary : PrimaryCancer
        The primary cancer given.
    pretest : Pretest or None
        The pre-test probability the patient probability starts from; None when neither a primary
        cancer with a default nor a probability was given (the patient model's own prior stands).
    scan_likelihood_ratio : float
        How much the scan multiplies the odds of metastases (:mod:`bonescan.assessment.pretest`).
    impression : str
        The impression, in a reader's words.
    quality : tuple of QualityCheck
        The quality checks of the study.
    """

    study: Study
    anatomy: Anatomy
    findings: Findings
    judged: tuple[JudgedFinding, ...]
    bsi: BoneScanIndex
    metastasis_probability: float
    hotspot_count: int
    super_scan: bool
    primary: PrimaryCancer
    impression: str
    quality: tuple[QualityCheck, ...]
    pretest: Pretest | None
    scan_likelihood_ratio: float
