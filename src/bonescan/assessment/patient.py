"""The patient-level metastasis probability: a logistic model over the pattern of the findings.

Features (:data:`PATIENT_FEATURES`): how much metastasis probability the findings hold in total, the
highest, how many findings and how many axial findings reach 0.5, whether one alone does (a solitary
spot often has another cause), the raw Bone Scan Index, and two signs of a super scan: the ratio of
normal bone to soft tissue and the uptake of the axial skeleton over the long bones. The weights are
fitted on simulated patients by ``training/train_findings.py patient`` and shipped in
``bonescan/classify/weights/patient.json`` together with the BSI calibration and the super-scan rule.
The features are the first reader's (the finding classifier without its second reader: the model was
fitted on them); the score adds how much the second reader lowered three of them
(:data:`LOWERED_FEATURES`, weights fitted by ``train_findings.py second-reader-weights``), so that a
study whose likely findings the second reader doubts reads lower.
Cold spots (photopenic defects, judged by a fixed rule: :mod:`bonescan.classify.judge`) are left out
of the features: the model was fitted on findings without them. The impression names them, and the
BSI counts them.

A super scan hides its lesions in diffuse uptake, so the findings say little about it. The super-scan
rule takes its two signs together (:func:`super_scan_score`): the spine and pelvis far above the long
bones of the legs (the axial pattern of diffuse metastases, not the whole-skeleton pattern of
metabolic bone disease), and faint kidneys beside the bright bone (the skeleton takes up tracer that
would otherwise be excreted; the kidneys' activity above the soft tissue beside them, over normal
bone's, :attr:`~bonescan.detect.model.UptakeReference.kidney_to_bone`). Neither sign may make up
for the other's absence (:func:`super_scan_signs_reached`): the axial ratio must reach
:attr:`PatientModel.super_scan_min_axial` and the kidneys stay at or below
:attr:`PatientModel.super_scan_max_kidney`, each the weakest sign of any training super scan less
:data:`SIGN_MARGIN` (poor renal function alone dims the kidneys, and a slim patient's spine stands
high over the long bones). A third sign asks for more when the study shows many discrete lesions:
with more likely findings than any training super scan showed
(:attr:`PatientModel.super_scan_max_likely`), the score must clear the threshold by
:attr:`PatientModel.super_scan_many_margin`, the gap that separated the training super scans from
the other training patients. Extensive multifocal metastases with faint kidneys can reach the
threshold; their lesions the BSI counts one by one. When it fires, the probability is at least
:attr:`PatientModel.super_scan_probability`, the share of training patients the rule flags that are
metastatic (with one pseudo-count each way). The rule was fitted on two-view studies, whose axial
sign is the mean of the two views'; the posterior view alone shows the spine about twice as bright
over the legs as the anterior, so a study of the posterior view alone has its axial sign put on the
two-view scale (:attr:`PatientModel.posterior_axial_scale`, fitted by ``train_findings.py
view-scale``). A study of the anterior view alone is read as it is.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bonescan.classify.judge import JudgedFinding
from bonescan.detect.model import SpotKind, UptakeReference
from bonescan.errors import InputError
from bonescan.regions import region
from bonescan.study import QualityCheck, Severity, ViewName

__all__ = [
    "FAINT_ANTERIOR_KIDNEYS",
    "KIDNEY_FLOOR",
    "LOWERED_FEATURES",
    "PATIENT_FEATURES",
    "SIGN_MARGIN",
    "PatientModel",
    "axial_over_long_bones",
    "kidney_over_bone",
    "load_patient_model",
    "patient_features",
    "super_scan_call",
    "super_scan_notes",
    "super_scan_score",
    "super_scan_signs_reached",
]

PATIENT_FEATURES: tuple[str, ...] = (
    "log_total_probability",
    "max_probability",
    "log_likely_count",
    "log_likely_axial_count",
    "solitary",
    "log_raw_bsi",
    "log_bone_to_soft_tissue",
    "log_axial_over_long_bones",
)
#: The features whose lowering by the second reader the model weighs (:meth:`PatientModel.score`).
LOWERED_FEATURES: tuple[str, ...] = ("log_total_probability", "max_probability", "log_likely_count")
_LOWERED = np.array([PATIENT_FEATURES.index(name) for name in LOWERED_FEATURES])
_NO_SECOND_READER = np.zeros(len(LOWERED_FEATURES))
LIKELY = 0.5
#: Kidneys fainter than this share of normal bone's activity count as this share (not seen at all).
KIDNEY_FLOOR = 0.05
#: How much weaker than in the weakest training super scan each sign may be (relative).
SIGN_MARGIN = 0.05
_AXIAL = ("thoracic_spine", "lumbar_spine", "pelvis_left", "pelvis_right", "sacrum")
_LONG_BONES = ("femur_distal_left", "femur_distal_right", "tibia_fibula_left", "tibia_fibula_right")


def axial_over_long_bones(references: Sequence[UptakeReference]) -> float:
    """Return the mean level of the spine and pelvis over that of the long bones of the legs (super scan)."""
    ratios = []
    for reference in references:
        axial = [reference.region_levels[name] for name in _AXIAL if name in reference.region_levels]
        long_bones = [
            reference.region_levels[name] for name in _LONG_BONES if name in reference.region_levels
        ]
        if axial and long_bones:
            ratios.append(float(np.median(axial)) / max(float(np.median(long_bones)), 1e-6))
    return float(np.mean(ratios)) if ratios else 1.0


def kidney_over_bone(references: Sequence[UptakeReference]) -> float | None:
    """Return the kidneys' activity over normal bone's, from the posterior view when it has one.

    The kidneys lie close to the back, so the posterior view shows them best. None when no view has
    kidney labels to measure.
    """
    measured = {r.view.value: r.kidney_to_bone for r in references if r.kidney_to_bone is not None}
    return measured.get("posterior", next(iter(measured.values()), None))


def super_scan_score(axial_ratio: float, kidney_ratio: float, kidney_weight: float) -> float:
    """Return ``log(axial ratio) - kidney_weight * log(kidney ratio)``: high in a super scan.

    The kidney ratio is taken as at least :data:`KIDNEY_FLOOR`.
    """
    return math.log(max(axial_ratio, 1e-3)) - kidney_weight * math.log(max(kidney_ratio, KIDNEY_FLOOR))


def super_scan_signs_reached(
    axial_ratio: float, kidney_ratio: float, min_axial: float, max_kidney: float
) -> bool:
    """Return whether each sign alone is as strong as a super scan's: axial high, kidneys faint."""
    return axial_ratio >= min_axial and kidney_ratio <= max_kidney


def super_scan_call(score: float, likely: int, threshold: float, max_likely: int, margin: float) -> bool:
    """Return whether a super-scan ``score`` calls a super scan in a study with ``likely`` findings.

    It must reach ``threshold``, plus ``margin`` when ``likely`` exceeds ``max_likely``.
    """
    return score >= threshold + (margin if likely > max_likely else 0.0)


def patient_features(
    judged: Sequence[JudgedFinding], raw_bsi: float, references: Sequence[UptakeReference]
) -> NDArray[np.float64]:
    """Return the patient features (:data:`PATIENT_FEATURES`) of one study."""
    scored = [
        item
        for item in judged
        if item.label not in ("physiological", "artefact") and item.finding.kind is not SpotKind.COLD
    ]
    probabilities = [item.metastasis_probability for item in scored]
    likely = [item for item in scored if item.metastasis_probability >= LIKELY]
    axial = [item for item in likely if region(item.finding.region).axial]
    bone_to_soft = float(np.mean([r.bone_to_soft_tissue for r in references])) if references else 1.0
    values = [
        math.log1p(sum(probabilities)),
        max(probabilities, default=0.0),
        math.log1p(len(likely)),
        math.log1p(len(axial)),
        float(len(likely) == 1),
        math.log1p(raw_bsi),
        math.log(max(bone_to_soft, 1e-3)),
        math.log(max(axial_over_long_bones(references), 1e-3)),
    ]
    return np.asarray(values, dtype=np.float64)


#: Kidneys at most this share of normal bone's activity in an anterior view alone: a super scan cannot
#: be excluded (training seeds 3605-3606 and 60 simulated super scans: 3 of 788 patients without a
#: super scan and 26 of 72 super scans reach it; dev 5104 and held-out 7130: 3 of 393 and 5 of 7).
FAINT_ANTERIOR_KIDNEYS = 0.25


def _single_view(references: Sequence[UptakeReference]) -> ViewName | None:
    """Return the view of a study read from one view alone, or None."""
    views = {reference.view for reference in references}
    return views.pop() if len(views) == 1 else None


def super_scan_notes(references: Sequence[UptakeReference]) -> tuple[QualityCheck, ...]:
    """Return a note (severity info) when the study's views judge the super-scan pattern weakly.

    From the front alone the two signs hardly separate (the kidneys lie behind the abdomen and the
    spine is deep): read one view at a time, the rule missed 13 of the 19 super scans of simulated
    seeds 3605-3606, 5104 and 7130 on the anterior view, and none on the posterior view or on both
    (``docs/performance.md``). The note says so when the kidneys, measured in that view, are as faint
    as in many super scans (at most :data:`FAINT_ANTERIOR_KIDNEYS` of normal bone).
    """
    if _single_view(references) is not ViewName.ANTERIOR:
        return ()
    kidneys = references[0].kidney_to_bone
    if kidneys is not None and kidneys <= FAINT_ANTERIOR_KIDNEYS:
        message = (
            f"anterior view only, with faint kidneys ({kidneys:.2f} of normal bone): a super scan cannot "
            "be excluded from the front; a posterior view, or renal function, would tell"
        )
    else:
        message = (
            "anterior view only: the super-scan pattern (diffuse axial uptake with faint kidneys) is "
            "judged weakly from the front, and a super scan may be missed; a posterior view would show it"
        )
    return (QualityCheck("super_scan_anterior_only", Severity.INFO, message, ViewName.ANTERIOR),)


@dataclass(frozen=True, eq=False)
class PatientModel:
    """Logistic weights over :data:`PATIENT_FEATURES`, the BSI calibration and the super-scan rule."""

    mean: NDArray[np.float64]
    scale: NDArray[np.float64]
    weights: NDArray[np.float64]
    bias: float
    bsi_calibration: float
    super_scan_threshold: float
    super_scan_kidney_weight: float
    typical_kidney_to_bone: float
    super_scan_involvement: float
    super_scan_probability: float
    description: dict[str, Any]
    super_scan_max_likely: int = 1_000_000
    super_scan_many_margin: float = 0.0
    super_scan_min_axial: float = 0.0
    super_scan_max_kidney: float = math.inf
    posterior_axial_scale: float = 1.0
    second_reader_weights: NDArray[np.float64] = field(default_factory=lambda: _NO_SECOND_READER.copy())

    def probability(
        self,
        features: NDArray[np.float64],
        *,
        reported: NDArray[np.float64] | None = None,
        super_scan: bool = False,
    ) -> float:
        """Return the patient-level metastasis probability for one feature vector.

        ``features`` are the first reader's; ``reported``, the same features of the reported (second)
        reading (:meth:`score`). With ``super_scan`` (the super-scan rule fired) it is at least
        :attr:`super_scan_probability`.
        """
        probability = 1.0 / (1.0 + math.exp(-float(self.score(features, reported))))
        return max(probability, self.super_scan_probability) if super_scan else probability

    def score(
        self, features: NDArray[np.float64], reported: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        """Return the logistic score (log-odds) of one feature vector, or of each row of a matrix.

        With ``reported`` (the features of the reported reading, row for row), the score adds
        :attr:`second_reader_weights` times :meth:`second_reader_drops`: a study the second reader
        leaves alone reads as without it.
        """
        score = ((features - self.mean) / self.scale) @ self.weights + self.bias
        if reported is not None:
            score = score + self.second_reader_drops(features, reported) @ self.second_reader_weights
        return np.asarray(score)

    def second_reader_drops(
        self, features: NDArray[np.float64], reported: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Return how much the second reader lowered each of :data:`LOWERED_FEATURES`, in standard units.

        The first reader's feature minus the reported one, over the feature's training scale: zero
        or more, since the second reader only lowers a finding's malignant probability.
        """
        drops = (features[..., _LOWERED] - reported[..., _LOWERED]) / self.scale[_LOWERED]
        return np.asarray(drops, dtype=np.float64)

    @property
    def training_prevalence(self) -> float:
        """Return the share of metastatic patients the logistic weights were fitted on."""
        try:
            return float(self.description["metastatic"]) / float(self.description["patients"])
        except (KeyError, TypeError, ZeroDivisionError) as error:
            raise InputError(
                "bonescan/classify/weights/patient.json",
                "the patient model does not say how many of its training patients were metastatic; "
                "retrain it",
            ) from error

    def super_scan_signs(self, references: Sequence[UptakeReference]) -> tuple[float, float]:
        """Return the two signs: axial over long-bone uptake, and the kidneys over normal bone.

        When the kidneys cannot be measured the typical training ratio stands in, so that only the
        axial sign speaks. A study of the posterior view alone has its axial sign multiplied by
        :attr:`posterior_axial_scale`, which puts it on the scale of the two views' mean that the
        rule was fitted on (the spine lies near the back, so the posterior view shows it about twice
        as bright over the legs as the anterior). A study of the anterior view alone is read as it
        is: on that scale the rule is conservative (``docs/performance.md``).
        """
        kidneys = kidney_over_bone(references)
        kidneys = self.typical_kidney_to_bone if kidneys is None else kidneys
        axial = axial_over_long_bones(references)
        if _single_view(references) is ViewName.POSTERIOR:
            axial *= self.posterior_axial_scale
        return axial, kidneys

    def super_scan_score(self, references: Sequence[UptakeReference]) -> float:
        """Return the super-scan score: ``log(axial/long bones) - w * log(kidneys/bone)``."""
        axial, kidneys = self.super_scan_signs(references)
        return super_scan_score(axial, kidneys, self.super_scan_kidney_weight)

    def is_super_scan(self, references: Sequence[UptakeReference], likely: int = 0) -> bool:
        """Return whether the super-scan rule fires on a study (:meth:`calls_super_scan`)."""
        return self.calls_super_scan(*self.super_scan_signs(references), likely)

    def calls_super_scan(self, axial_ratio: float, kidney_ratio: float, likely: int = 0) -> bool:
        """Return whether the super-scan rule fires on these two signs.

        Each sign reaches its own bound (:func:`super_scan_signs_reached`), and the score reaches
        :attr:`super_scan_threshold`, plus :attr:`super_scan_many_margin` when the study has more
        than :attr:`super_scan_max_likely` ``likely`` findings (metastasis probability of 0.5 or more).
        """
        return super_scan_signs_reached(
            axial_ratio, kidney_ratio, self.super_scan_min_axial, self.super_scan_max_kidney
        ) and super_scan_call(
            super_scan_score(axial_ratio, kidney_ratio, self.super_scan_kidney_weight),
            likely,
            self.super_scan_threshold,
            self.super_scan_max_likely,
            self.super_scan_many_margin,
        )

    def to_json(self) -> dict[str, Any]:
        """Return the model as the JSON document it is shipped as."""
        return {
            "features": list(PATIENT_FEATURES),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "bias": self.bias,
            "bsi_calibration": self.bsi_calibration,
            "super_scan_threshold": self.super_scan_threshold,
            "super_scan_kidney_weight": self.super_scan_kidney_weight,
            "typical_kidney_to_bone": self.typical_kidney_to_bone,
            "super_scan_involvement": self.super_scan_involvement,
            "super_scan_probability": self.super_scan_probability,
            "super_scan_max_likely": self.super_scan_max_likely,
            "super_scan_many_margin": self.super_scan_many_margin,
            "super_scan_min_axial": self.super_scan_min_axial,
            "super_scan_max_kidney": self.super_scan_max_kidney,
            "posterior_axial_scale": self.posterior_axial_scale,
            "second_reader_features": list(LOWERED_FEATURES),
            "second_reader_weights": self.second_reader_weights.tolist(),
            "description": self.description,
        }


def _from_json(document: dict[str, Any], source: str) -> PatientModel:
    if tuple(document.get("features", ())) != PATIENT_FEATURES:
        raise InputError(source, "the patient model was trained on other features; retrain it")
    return PatientModel(
        mean=np.asarray(document["mean"], dtype=np.float64),
        scale=np.asarray(document["scale"], dtype=np.float64),
        weights=np.asarray(document["weights"], dtype=np.float64),
        bias=float(document["bias"]),
        bsi_calibration=float(document["bsi_calibration"]),
        super_scan_threshold=float(document["super_scan_threshold"]),
        super_scan_kidney_weight=float(document["super_scan_kidney_weight"]),
        typical_kidney_to_bone=float(document["typical_kidney_to_bone"]),
        super_scan_involvement=float(document["super_scan_involvement"]),
        super_scan_probability=float(document["super_scan_probability"]),
        description=dict(document.get("description", {})),
        super_scan_max_likely=int(document["super_scan_max_likely"]),
        super_scan_many_margin=float(document["super_scan_many_margin"]),
        super_scan_min_axial=float(document["super_scan_min_axial"]),
        super_scan_max_kidney=float(document["super_scan_max_kidney"]),
        posterior_axial_scale=float(document.get("posterior_axial_scale", 1.0)),
        second_reader_weights=_second_reader_weights(document, source),
    )


def _second_reader_weights(document: dict[str, Any], source: str) -> NDArray[np.float64]:
    """Return the document's weights of the second reader's drops (zeros when it has none)."""
    if "second_reader_weights" not in document:
        return _NO_SECOND_READER.copy()
    if tuple(document.get("second_reader_features", ())) != LOWERED_FEATURES:
        raise InputError(source, "the patient model weighs other second-reader features; retrain it")
    return np.asarray(document["second_reader_weights"], dtype=np.float64)


@cache
def load_patient_model() -> PatientModel:
    """Load the patient model shipped with bonescan."""
    text = resources.files("bonescan.classify").joinpath("weights/patient.json").read_text()
    return _from_json(json.loads(text), "bonescan/classify/weights/patient.json")
