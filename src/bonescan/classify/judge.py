"""Judge each finding: its label, its metastasis probability and the reasons a reader can check.

1. A spot that lies in the bladder or a kidney of the anatomy is **physiological** (urine activity)
   and kept out of the tumour burden. Extreme activity away from the bladder (a catheter's collection
   bag, urine contamination, tracer outside a vein; :mod:`bonescan.anatomy.urine`) is an **artefact**,
   also kept out.
2. Every other finding is scored by the finding classifier (:mod:`bonescan.classify.model`). When the
   probability that it is normal uptake (a joint, a vertebra next to a disc, the tip of a bone) is at
   least :data:`NORMAL_CUTOFF`, the candidate is dropped: it is not a finding (its malignant classes
   then hold at most 0.4). Keeping those whose metastasis probability is still 0.2 or more, as
   indeterminate, was measured and not shipped (``docs/performance.md``).
   One exception, a reader's rule: a hot spot at a joint that is focal (at least
   :data:`JOINT_CONTRAST` times the bone around it) and asymmetric (at least :data:`JOINT_ASYMMETRY`
   times the same place on the other side) is reported as **degenerative** even when the classifier
   calls it normal, because such uptake is real and its commonest cause is degenerative joint disease.
   Another reader's rule: a hot spot at a joint whose mirror place on the other side takes up about as
   much tracer (within :data:`JOINT_ASYMMETRY` either way) is symmetric joint uptake, most often
   degenerative: its odds of being a metastasis are multiplied by
   :data:`SYMMETRIC_JOINT_LIKELIHOOD_RATIO`, and a malignant, indeterminate or prosthesis-related
   label becomes **degenerative** when the probability falls under :data:`LIKELY_METASTASIS` (a
   prosthesis shows on one side, not as like uptake at both joints).
3. The ``metastasis_probability`` is the classifier's probability of a metastasis (or a lytic lesion
   or myeloma), lowered where the classifier's second network reads less (its second reader,
   :mod:`bonescan.classify.model`; it reads only the candidates judged on the classifier's
   probabilities). :func:`judge_readings` also gives the findings as the first network alone judges
   them, which the patient model reads. The label is the most probable abnormal class; when that
   class holds less than :data:`LABEL_CONFIDENCE` of the abnormal probability, the label is
   ``indeterminate``.
4. A cold spot (a photopenic defect: the bone there shows at most 0.65 times what the same place on
   the other side, or the vertebrae above and below, show; :mod:`bonescan.detect.photopenia`) is not
   scored by the classifier, which was trained on candidates of another kind. It is
   **myeloma_or_lytic** with the fixed probability :data:`COLD_DEFECT_PROBABILITY`, unless it lies at
   a joint with a hot spot beside it (within :data:`PROSTHESIS_GAP_MM`), or within
   :data:`PROSTHESIS_REACH_MM` of a finding judged prosthesis_related (its hot rim, or another piece
   of its cold core: the stem of a hip prosthesis reaches far down the femur): a joint prosthesis's
   metal core in its hot rim, **prosthesis_related**. The fixed probability is a reader's rule, not a
   calibrated one: the simulator draws no benign photopenic causes (radiotherapy fields, bone infarcts,
   metal in front of the bone) to calibrate it against.
5. The reasons are the measurements behind the judgement, in words (:mod:`bonescan.classify.reasons`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from bonescan.classify.features import feature_matrix
from bonescan.classify.model import MALIGNANT_CLASSES, NORMAL, FindingModel, load_finding_model
from bonescan.classify.reasons import reasons_for
from bonescan.detect.model import URINE, Finding, Spot, SpotKind
from bonescan.detect.patches import finding_patch

__all__ = [
    "COLD_DEFECT_PROBABILITY",
    "JOINT_ASYMMETRY",
    "JOINT_CONTRAST",
    "LABEL_CONFIDENCE",
    "LIKELY_METASTASIS",
    "NORMAL_CUTOFF",
    "PROSTHESIS_GAP_MM",
    "PROSTHESIS_REACH_MM",
    "SECOND_OPINION_SHOWN",
    "SYMMETRIC_JOINT_LIKELIHOOD_RATIO",
    "JudgedFinding",
    "judge_findings",
    "judge_readings",
]

logger = logging.getLogger(__name__)

NORMAL_CUTOFF = 0.6
#: A lowering by the second reader of at least this much is named among a finding's reasons.
SECOND_OPINION_SHOWN = 0.05
#: More likely than not: under it, symmetric joint uptake takes the label degenerative.
LIKELY_METASTASIS = 0.5
JOINT_CONTRAST = 1.8
JOINT_ASYMMETRY = 1.5
_JOINT_MM = 15.0
_JOINT_SIGNIFICANCE = 10.0
LABEL_CONFIDENCE = 0.5
SYMMETRIC_JOINT_LIKELIHOOD_RATIO = 0.25
COLD_DEFECT_PROBABILITY = 0.3
PROSTHESIS_GAP_MM = 10.0
#: A cold spot this near a finding judged prosthesis_related (hot rim or cold core) is part of it.
PROSTHESIS_REACH_MM = 20.0
_PROSTHESIS_PROBABILITY = 0.05
_COLD_REASON = (
    "a photopenic defect in bone is most often a lytic metastasis or myeloma; radiotherapy, a bone "
    "infarct or metal in front of the bone can look alike: correlate with radiographs or CT"
)
_PROSTHESIS_REASON = (
    "a photopenic defect at a joint beside hot uptake: the metal of a joint prosthesis in the bone "
    "reacting around it"
)
_MALIGNANT = MALIGNANT_CLASSES
# Labels that symmetric joint uptake speaks against: a prosthesis shows on one side, as a cold core in
# a hot rim, not as like uptake at both joints (and the scan alone cannot tell that one is there).
_NOT_SYMMETRIC_JOINT_LABELS = (*_MALIGNANT, "indeterminate", "prosthesis_related")
_PHYSIOLOGICAL_PROBABILITY = 0.01
_URINE_REASON = (
    "far brighter than any bone and away from the bladder (below the pelvis, beside the body or in an "
    "arm): urine in a catheter's collection bag or its tube, urine contamination, or tracer injected "
    "beside the vein; not bone uptake"
)


@dataclass(frozen=True)
class JudgedFinding:
    """A finding with its label, metastasis probability, class probabilities and reasons.

    Attributes
    ----------
    finding : Finding
        The finding (its spots in each view).
    label : str
        One of :data:`~bonescan.classify.model.FINDING_LABELS`.
    metastasis_probability : float
        Probability that it is a metastasis (or a lytic metastasis or myeloma for a cold spot).
    probabilities : dict of str to float
        The classifier's probability of every class (empty for physiological uptake).
    reasons : tuple of str
        The measurements behind the judgement, in words.
    number : int
        1-based number among the study's reported findings, top to bottom (0 until numbered).
    """

    finding: Finding
    label: str
    metastasis_probability: float
    probabilities: dict[str, float]
    reasons: tuple[str, ...]
    number: int = 0

    @property
    def region(self) -> str:
        """The organ for urinary activity, soft tissue for urine elsewhere, else the finding's bone region."""
        organ = self.finding.main.organ
        return self.finding.region if organ in (None, URINE) else str(organ)

    @property
    def malignant_label(self) -> bool:
        """Whether the label is a malignant one (metastasis, myeloma or lytic)."""
        return self.label in _MALIGNANT


def _label(probabilities: dict[str, float]) -> str:
    abnormal = {name: value for name, value in probabilities.items() if name != NORMAL}
    best = max(abnormal, key=lambda name: abnormal[name])
    total = sum(abnormal.values())
    return best if total > 0 and abnormal[best] / total >= LABEL_CONFIDENCE else "indeterminate"


def _organ_finding(finding: Finding) -> JudgedFinding:
    organ = str(finding.main.organ)
    if organ == URINE:
        return JudgedFinding(finding, "artefact", _PHYSIOLOGICAL_PROBABILITY, {}, (_URINE_REASON,))
    where = (
        "the urinary bladder"
        if organ == "bladder"
        else f"the {organ.replace('_', ' ').replace('kidney ', '')} kidney"
    )
    reasons = (f"lies in {where}: tracer excreted in urine, not bone uptake",)
    return JudgedFinding(finding, "physiological", _PHYSIOLOGICAL_PROBABILITY, {}, reasons)


def _focal_joint_uptake(finding: Finding) -> bool:
    spot = finding.main
    return (
        spot.kind is SpotKind.HOT
        and spot.measures.joint_distance_mm <= _JOINT_MM
        and spot.local_contrast >= JOINT_CONTRAST
        and spot.measures.reference_ratio >= JOINT_ASYMMETRY
        and spot.significance >= _JOINT_SIGNIFICANCE
    )


def _symmetric_joint_uptake(finding: Finding) -> bool:
    spot = finding.main
    return (
        spot.kind is SpotKind.HOT
        and spot.measures.nearest_joint is not None
        and spot.measures.joint_distance_mm <= _JOINT_MM
        and 1.0 / JOINT_ASYMMETRY <= spot.measures.reference_ratio <= JOINT_ASYMMETRY
    )


def _symmetric_joint_finding(
    finding: Finding, probabilities: dict[str, float], findings: Sequence[Finding]
) -> JudgedFinding:
    malignant = _malignant(probabilities)
    odds = SYMMETRIC_JOINT_LIKELIHOOD_RATIO * malignant / max(1.0 - malignant, 1e-6)
    probability = odds / (1.0 + odds)
    label = _label(probabilities)
    if probability < LIKELY_METASTASIS and label in _NOT_SYMMETRIC_JOINT_LABELS:
        label = "degenerative"
    reasons = (
        "uptake at a joint matched by similar uptake at the same joint on the other side: symmetric "
        "joint uptake is most often degenerative",
        *reasons_for(finding, label, findings),
    )
    return JudgedFinding(finding, label, probability, probabilities, reasons)


def _malignant(probabilities: dict[str, float]) -> float:
    return sum(probabilities.get(name, 0.0) for name in _MALIGNANT)


def _joint_finding(
    finding: Finding, probabilities: dict[str, float], findings: Sequence[Finding]
) -> JudgedFinding:
    reasons = (
        "focal asymmetric uptake at a joint: its commonest cause is degenerative joint disease",
        *reasons_for(finding, "degenerative", findings),
    )
    return JudgedFinding(finding, "degenerative", _malignant(probabilities), probabilities, reasons)


def _scored(finding: Finding, probabilities: dict[str, float], findings: Sequence[Finding]) -> JudgedFinding:
    label = _label(probabilities)
    reasons = reasons_for(finding, label, findings)
    return JudgedFinding(finding, label, _malignant(probabilities), probabilities, reasons)


def _gap_mm(cold: Spot, hot: Spot) -> float:
    """Return the least distance between the pixels of two spots of one view, in mm."""
    spacing = np.asarray(cold.pixel_spacing_mm)
    a = np.column_stack([cold.rows, cold.columns]) * spacing
    b = np.column_stack([hot.rows, hot.columns]) * spacing
    return float(np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)).min())


def _beside(finding: Finding, others: Sequence[Finding], gap_mm: float, kind: SpotKind | None) -> bool:
    """Return whether a spot of ``others`` (of ``kind``, if given; not an organ) lies within ``gap_mm``."""
    for view, cold in finding.spots.items():
        for other in others:
            near = other.spots.get(view)
            if near is None or near is cold or near.organ is not None:
                continue
            if kind is not None and near.kind is not kind:
                continue
            if _gap_mm(cold, near) <= gap_mm:
                return True
    return False


def _cold_finding(finding: Finding, findings: Sequence[Finding], prosthesis: bool) -> JudgedFinding:
    """Judge a cold finding: part of a ``prosthesis`` (:func:`_prosthesis_pieces`), or lytic."""
    spot = finding.main
    fewer = 1.0 - 1.0 / max(spot.local_contrast, 1.0)
    measured = (
        f"{fewer:.0%} fewer counts than the bone there would show (the same place on the other side, "
        "or the vertebrae above and below)"
    )
    if prosthesis:
        reasons = (_PROSTHESIS_REASON, measured, *reasons_for(finding, "prosthesis_related", findings))
        return JudgedFinding(finding, "prosthesis_related", _PROSTHESIS_PROBABILITY, {}, reasons)
    reasons = (measured, _COLD_REASON, *reasons_for(finding, "myeloma_or_lytic", findings))
    return JudgedFinding(finding, "myeloma_or_lytic", COLD_DEFECT_PROBABILITY, {}, reasons)


def _prosthesis_pieces(
    cold: Sequence[Finding], findings: Sequence[Finding], rims: Sequence[Finding]
) -> list[bool]:
    """Return, per cold finding, whether it is part of a joint prosthesis's metal core.

    A piece at a joint with a hot spot beside it is; so is one within :data:`PROSTHESIS_REACH_MM` of
    a ``rim`` (a hot finding judged prosthesis_related) or of another piece, grown until no more join.
    Each piece is measured once against each finding that joined since it was last measured.
    """
    part = [
        finding.main.measures.joint_distance_mm <= _JOINT_MM
        and _beside(finding, findings, PROSTHESIS_GAP_MM, SpotKind.HOT)
        for finding in cold
    ]
    joined = [*rims, *(finding for finding, inside in zip(cold, part, strict=True) if inside)]
    while joined:
        newly = [
            index
            for index, finding in enumerate(cold)
            if not part[index] and _beside(finding, joined, PROSTHESIS_REACH_MM, None)
        ]
        for index in newly:
            part[index] = True
        joined = [cold[index] for index in newly]
    return part


def _patches(findings: Sequence[Finding], size: int, channels: int) -> NDArray[np.float32]:
    stack = [finding_patch(finding, size, channels) for finding in findings]
    return np.stack(stack) if stack else np.zeros((0, channels, size, size), dtype=np.float32)


def judge_findings(
    findings: Sequence[Finding], model: FindingModel | None = None, *, view_count: int = 2
) -> list[JudgedFinding]:
    """Label every finding, score its metastasis probability and drop normal uptake.

    Parameters
    ----------
    findings : sequence of Finding
        The findings of one study (:func:`~bonescan.detect.detect`).
    model : FindingModel, optional
        The classifier; by default the one shipped with bonescan.
    view_count : int
        The number of views the study has (a classifier feature).

    Returns
    -------
    list of JudgedFinding
        The findings that are not normal uptake, in the order given, as reported (with the second
        reader's lowering, :mod:`bonescan.classify.model`).
    """
    return judge_readings(findings, model, view_count=view_count)[0]


def judge_readings(
    findings: Sequence[Finding], model: FindingModel | None = None, *, view_count: int = 2
) -> tuple[list[JudgedFinding], list[JudgedFinding]]:
    """Judge the findings as reported and as the first reader alone reads them.

    The patient model and the super-scan rule were fitted on the first reader's judgements and read
    those (the patient model also weighs how much the reported ones are lower); the report shows the
    findings as reported. Parameters as :func:`judge_findings`.

    Returns
    -------
    reported, first : list of JudgedFinding
        The same findings (the second reader keeps and drops none), judged on the reported and on the
        first reader's probabilities; one list twice when the model has no second reader.
    """
    chosen = model or load_finding_model()
    features = feature_matrix(findings, view_count)
    patches = _patches(findings, chosen.patch_px, chosen.patch_channels)
    first = chosen.first_reading(features, patches)
    normal = chosen.classes.index(NORMAL)
    consulted = np.array(
        [_reported_from_scores(finding, row[normal]) for finding, row in zip(findings, first, strict=True)],
        dtype=bool,
    )
    reported = chosen.second_reading(first, features, patches, consulted)
    judged = _judged(findings, chosen.classes, reported)
    logger.info("%d of %d candidate(s) kept as findings", len(judged), len(findings))
    if reported is first:
        return judged, judged
    first_judged = _judged(findings, chosen.classes, first)
    return [_with_second_opinion(*pair) for pair in zip(judged, first_judged, strict=True)], first_judged


def _with_second_opinion(reported: JudgedFinding, first: JudgedFinding) -> JudgedFinding:
    """Add a reason when the second reader lowered the metastasis probability noticeably.

    By at least :data:`SECOND_OPINION_SHOWN`: the patient model weighs the first reading and how much
    the second lowered it, and the reason lets a reader see why the two differ.
    """
    if first.metastasis_probability - reported.metastasis_probability < SECOND_OPINION_SHOWN:
        return reported
    reason = (
        "a second network, trained on scans that also show spondylosis and other benign uptake, reads "
        f"it as less likely malignant: metastasis probability {first.metastasis_probability:.2f} "
        f"lowered to {reported.metastasis_probability:.2f} (the patient-level probability weighs both "
        "readings)"
    )
    return replace(reported, reasons=(*reported.reasons, reason))


def _kept(finding: Finding, normal: float) -> bool:
    """Return whether a hot candidate outside the organs is kept: not normal uptake, or focal at a joint."""
    return normal < NORMAL_CUTOFF or _focal_joint_uptake(finding)


def _reported_from_scores(finding: Finding, normal: float) -> bool:
    """Return whether a finding is judged on the classifier's probabilities (see :func:`_judged`)."""
    return finding.main.organ is None and finding.kind is not SpotKind.COLD and _kept(finding, normal)


def _judged(
    findings: Sequence[Finding], classes: tuple[str, ...], scores: NDArray[np.float64]
) -> list[JudgedFinding]:
    """Judge the findings on one row of class probabilities each (in ``classes`` order)."""
    judged: list[JudgedFinding | Finding] = []
    for finding, row in zip(findings, scores, strict=True):
        if finding.main.organ is not None:
            judged.append(_organ_finding(finding))
            continue
        if finding.kind is SpotKind.COLD:
            judged.append(finding)  # judged below, beside the hot findings' labels
            continue
        probabilities = {name: float(value) for name, value in zip(classes, row, strict=True)}
        if not _kept(finding, probabilities[NORMAL]):
            continue  # normal uptake
        if probabilities[NORMAL] >= NORMAL_CUTOFF:
            judged.append(_joint_finding(finding, probabilities, findings))
        elif _symmetric_joint_uptake(finding):
            judged.append(_symmetric_joint_finding(finding, probabilities, findings))
        else:
            judged.append(_scored(finding, probabilities, findings))
    cold = [item for item in judged if isinstance(item, Finding)]
    rims = [
        item.finding
        for item in judged
        if isinstance(item, JudgedFinding) and item.label == "prosthesis_related"
    ]
    pieces = iter(_prosthesis_pieces(cold, findings, rims))
    done = [
        item if isinstance(item, JudgedFinding) else _cold_finding(item, findings, next(pieces))
        for item in judged
    ]
    return [replace(item, number=index) for index, item in enumerate(done, start=1)]
