"""What :func:`~bonescan.assessment.analyze` returns: the reading of one study."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bonescan.anatomy.model import Anatomy
from bonescan.classify.judge import JudgedFinding
from bonescan.detect.model import Findings
from bonescan.quantify.bsi import BoneScanIndex
from bonescan.study import QualityCheck, Study

__all__ = ["Assessment", "PrimaryCancer"]


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
