"""Findings and assessment of bonescan scored against the truth of a simulated cohort.

Each scan is scored from two JSON-like mappings: the analysis result (``result.json`` of ``bonescan
analyze``) and the simulator truth (``<stem>.truth.json``). No analysis code is called here except
through the ``analyze`` callable given to :func:`evaluate_findings`.

Lesions compared
----------------
*Truth lesions* are the truth ``findings`` whose ``status`` is not ``resolved``, which are not diffuse
(``super_scan``, or any finding with ``diffuse_uptake``; a super scan still makes the patient
metastatic) and which have a non-empty entry for at least one view. The others are counted apart
(``excluded_truths``) and are neither hits nor misses. Each truth lesion falls in these classes:

* ``metastatic_hot``: ``malignant`` and polarity ``hot`` (or ``mixed``);
* ``metastatic_hot_r8mm_u2``: ``metastatic_hot`` with ``radius_mm[0] >= 8`` and
  ``uptake_ratio[0] >= 2`` (first element of each list: the tracer concentration over normal bone);
* ``metastatic_hot_r8mm_c2``: ``metastatic_hot`` with ``radius_mm[0] >= 8`` and an image contrast
  (the truth ``contrast`` of a view: the lesion's counts over the counts without it) of at least 2 in
  some view; overlap, attenuation and blur make the image contrast lower than the uptake ratio;
* ``benign_hot``: not ``malignant``, polarity ``hot`` or ``mixed``, and not an artefact;
* ``cold``: polarity ``cold``;
* ``artefact``: kind ``urine_contamination``, ``injection_site`` or ``catheter_bag``.

*Predicted lesions* are the result ``hotspots`` grouped by ``finding_id`` (a hotspot without one is a
lesion of its own), so that a finding reported in both views is one lesion. Each keeps the centroid,
view and kind of each of its hotspots, the highest ``metastasis_probability`` of its hotspots and the
``label`` of its first hotspot.

Matching rule
-------------
A predicted lesion *can match* a truth lesion when, in some view where both have an entry, one of the
predicted hotspots in that view

1. has a compatible kind: a ``hot`` hotspot with a ``hot`` or ``mixed`` truth, a ``cold`` hotspot with
   a ``cold`` or ``mixed`` truth; and
2. has its centroid (row, column; 0-based, in that view's stored grid, posterior not mirrored)
   either inside the truth ``bbox`` grown by the margin on every side, or within
   ``equivalent_diameter_mm / 2 + margin`` of the truth ``centre``.

The bbox ``[r0, r1, c0, c1]`` lists inclusive pixel indices, so the box covers
``r0 - 0.5 <= row <= r1 + 0.5`` and ``c0 - 0.5 <= column <= c1 + 0.5`` before the margin is added.
The margin is 10 mm by default, converted to pixels with the row and column pixel spacing (the truth
``image.pixel_spacing_mm``, else the result view's ``pixel_spacing_mm``); distances are in mm with
the same spacings. A truth view without ``equivalent_diameter_mm`` takes the diameter of a disc of
``area_px`` pixels. The distance of a candidate pair is the smallest centroid-to-centre distance over
the hotspots that satisfy 1 and 2. Pairs are then taken greedily, shortest distance first (ties: first
predicted lesion, then first truth lesion in their lists), each predicted and each truth lesion used
at most once; predicted lesions labelled ``physiological`` come after all others. They show the
bladder or a kidney, which the truth does not list: a sacral metastasis behind the bladder, shown
by a detection of its own in the posterior view, is that detection's, even when the bladder's spot
in the anterior view lies nearer (taken first, it made the metastasis a miss and its own detection
a false positive). A physiological lesion still takes a truth lesion that no other one can.

Counting
--------
A truth lesion is *detected* when a predicted lesion is matched to it, whatever the predicted label.
A predicted lesion matched to no truth lesion is a *false positive*, unless its label is
``physiological`` (bladder, kidneys: normal activity without a truth finding); a predicted lesion
matched to an artefact truth is not a false positive. False positives per scan are the total over the
scans divided by the number of scans.

*Overlapping lesions*: in a planar view two metastases a few millimetres apart (two in one
vertebra, a rib over a vertebra) make one spot, and one-to-one matching counts all but one of them
as missed. So one further figure, beside the bar figures and not replacing them, also counts as
found an unmatched malignant lesion that a detection already matched to another malignant lesion
*lies on*: one of its hotspots meets rule 2 with no margin (its centroid within the lesion's own
radius or bounding box). False positives are the same under both counts.

*FROC*: for each threshold t, a detection is a positive call when its ``metastasis_probability >= t``.
Sensitivity is the share of ``metastatic_hot`` truth lesions matched by a positive call; false
positives are positive calls that are matched to no malignant truth lesion (matched to a benign or
artefact truth, or unmatched), leaving out unmatched ``physiological`` detections. Matching is done
once, before any threshold.

*Lesion AUC* (Mann-Whitney, ties count one half) of ``metastasis_probability``: positives are the
detections matched to malignant truth lesions, negatives the detections matched to benign or artefact
truth lesions plus the false positives.

*Patients*: a patient is metastatic when the truth ``patient.label`` is ``metastatic`` or a non-resolved
finding is ``malignant``; *benign-only* patients are the non-metastatic ones labelled ``benign``. A
patient is called positive when ``patient.metastasis_probability >= t``. Reported: the AUC of metastatic
against all non-metastatic patients; sensitivity, specificity and benign-only specificity at t = 0.5;
and the benign-only specificity at the highest t giving a sensitivity of at least 0.90.

*BSI*: Pearson r, mean error (result minus truth, the bias) and mean absolute error of
``patient.bsi_percent`` against the truth ``bsi.value``.

Lesion, patient and BSI figures are computed over the baseline scans, one per patient; repeat
acquisitions only feed *repeatability*: for every repeat k of a case, ``value(repeat k) -
value(baseline)`` of ``bsi_percent`` and of the patient probability, summarised by their mean and
sample standard deviation (``ddof=1``). *Time per study* is the wall time of each call of
``analyze`` (baseline and repeats). Follow-up acquisitions are not analysed. A scan whose result lacks
``bsi_percent`` or ``metastasis_probability`` is left out of the figures that need it. Every figure is
reported with its count; a figure of an empty group is None. *Super scans*: of the baseline scans
whose result says (``patient.super_scan``), the true super scans called and the calls on other
patients (one false call moves the BSI by about 30 points). The JSON also lists every scored scan
(``per_scan``: truth label, patient probability, truth and result BSI and their difference, false
positives), so that a figure can be traced to the patients behind it.

*Bar misses*: every ``metastatic_hot_r8mm_c2`` lesion of the baseline scans that the bar figure does
not count at its threshold (the FROC threshold it is read at), with the reason: ``not_detected`` (no
detection matched it, and none lies on it), ``lies_on_another`` (a detection matched to another
malignant lesion lies on it: see *Overlapping lesions*), or ``below_threshold`` (matched, with a
probability under the threshold; every matched lesion when no threshold reaches the false-positive
limit). Each row names the case, the truth id, kind, region, radius and image contrast, and the
probability of the detection concerned.
"""

from __future__ import annotations

import json
import logging
import math
import numbers
import re
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bonescan.errors import InputError
from bonescan.evaluate.metrics import (
    FrocPoint,
    Proportion,
    auc_mann_whitney,
    froc_points,
    mean_absolute_error,
    mean_and_sd,
    pearson,
    sensitivity_specificity,
    threshold_for_sensitivity,
)

__all__ = [
    "ARTEFACT_KINDS",
    "FROC_THRESHOLDS",
    "LESION_CLASSES",
    "MISS_REASONS",
    "FindingsEvaluation",
    "HotspotPoint",
    "LesionMatch",
    "PredictedLesion",
    "ScanMatch",
    "ScanOutcome",
    "TruthLesion",
    "TruthView",
    "evaluate_findings",
    "load_truth",
    "match_scan",
    "predicted_lesions",
    "qualifying_distance",
    "score_scan",
    "truth_lesions",
    "view_spacings",
]

logger = logging.getLogger(__name__)

SCHEMA = "bonescan-evaluate-findings/1"
VIEWS = ("anterior", "posterior")
ARTEFACT_KINDS = frozenset({"urine_contamination", "injection_site", "catheter_bag"})
DIFFUSE_KINDS = frozenset({"super_scan"})
PHYSIOLOGICAL = "physiological"
LESION_CLASSES = (
    "metastatic_hot",
    "metastatic_hot_r8mm_u2",
    "metastatic_hot_r8mm_c2",
    "benign_hot",
    "cold",
    "artefact",
)
FROC_THRESHOLDS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
PATIENT_THRESHOLD = 0.5
TARGET_SENSITIVITY = 0.90
BAR_BENIGN_SPECIFICITY = 0.85
BAR_REPEAT_SD = 0.10
BAR_LESION_SENSITIVITY = 0.95
BAR_LESION_FP = 0.3
MISS_REASONS = ("not_detected", "lies_on_another", "below_threshold")
_COMPATIBLE = {"hot": frozenset({"hot", "mixed"}), "cold": frozenset({"cold", "mixed"})}
_CLASS_TITLES = {
    "metastatic_hot": "metastases (hot)",
    "metastatic_hot_r8mm_u2": "metastases, radius >= 8 mm and uptake >= 2",
    "metastatic_hot_r8mm_c2": "metastases, radius >= 8 mm and image contrast >= 2",
    "benign_hot": "benign hot findings",
    "cold": "cold findings",
    "artefact": "artefacts (urine, injection, catheter bag)",
}


# --------------------------------------------------------------------------------------------------
# Parsed lesions


@dataclass(frozen=True)
class TruthView:
    """Where a truth lesion shows in one view.

    Attributes
    ----------
    centre : tuple of float
        Centroid (row, column) in the view's stored grid.
    bbox : tuple of int or None
        Inclusive pixel bounds (row0, row1, col0, col1), when given.
    radius_mm : float
        Equivalent radius (half the equivalent diameter) of the lesion's area in the view.
    """

    centre: tuple[float, float]
    bbox: tuple[int, int, int, int] | None
    radius_mm: float


@dataclass(frozen=True)
class TruthLesion:
    """A truth finding that takes part in lesion matching.

    Attributes
    ----------
    finding_id : int
        Its ``id`` in the truth.
    kind : str
        Simulator kind (metastasis, fracture, urine_contamination, ...).
    polarity : str
        ``hot``, ``cold`` or ``mixed``.
    malignant : bool
        Tumour in bone.
    radius_mm : float or None
        First element of the truth ``radius_mm`` list.
    uptake_ratio : float or None
        First element of the truth ``uptake_ratio`` list.
    views : dict of str to TruthView
        Its entry in each view where it shows.
    contrast : float or None
        Its highest image contrast over the views (truth ``contrast``).
    region : str or None
        Its truth ``region``.
    """

    finding_id: int
    kind: str
    polarity: str
    malignant: bool
    radius_mm: float | None
    uptake_ratio: float | None
    views: Mapping[str, TruthView]
    contrast: float | None = None
    region: str | None = None

    @property
    def artefact(self) -> bool:
        """Urine contamination or an injection site."""
        return self.kind in ARTEFACT_KINDS

    @property
    def classes(self) -> frozenset[str]:
        """The :data:`LESION_CLASSES` the lesion belongs to (see the module notes)."""
        found: set[str] = set()
        hot = self.polarity in ("hot", "mixed")
        if self.malignant and hot:
            found.add("metastatic_hot")
            if (
                self.radius_mm is not None
                and self.uptake_ratio is not None
                and self.radius_mm >= 8.0
                and self.uptake_ratio >= 2.0
            ):
                found.add("metastatic_hot_r8mm_u2")
            if self.radius_mm is not None and self.radius_mm >= 8.0 and (self.contrast or 0.0) >= 2.0:
                found.add("metastatic_hot_r8mm_c2")
        if not self.malignant and hot and not self.artefact:
            found.add("benign_hot")
        if self.polarity == "cold":
            found.add("cold")
        if self.artefact:
            found.add("artefact")
        return frozenset(found)


@dataclass(frozen=True)
class HotspotPoint:
    """One reported hotspot of a predicted lesion: its view, centroid and kind."""

    view: str
    row: float
    column: float
    kind: str


@dataclass(frozen=True)
class PredictedLesion:
    """The hotspots of a result that share a ``finding_id``.

    Attributes
    ----------
    finding_id : int
        The result's ``finding_id`` (negative for a hotspot that had none).
    label : str
        Label of the first hotspot.
    probability : float
        Highest ``metastasis_probability`` of the hotspots.
    points : tuple of HotspotPoint
        Each hotspot, in result order.
    """

    finding_id: int
    label: str
    probability: float
    points: tuple[HotspotPoint, ...]

    @property
    def physiological(self) -> bool:
        """Whether it is labelled physiological (bladder, kidneys)."""
        return self.label == PHYSIOLOGICAL


@dataclass(frozen=True)
class LesionMatch:
    """A predicted lesion paired with a truth lesion.

    Attributes
    ----------
    predicted : int
        Index in :attr:`ScanMatch.predictions`.
    truth : int
        Index in :attr:`ScanMatch.truths`.
    view : str
        View of the shortest qualifying distance.
    distance_mm : float
        That distance, predicted centroid to truth centre.
    """

    predicted: int
    truth: int
    view: str
    distance_mm: float


@dataclass(frozen=True)
class ScanMatch:
    """The lesions of one scan and their one-to-one matching.

    Attributes
    ----------
    truths : tuple of TruthLesion
        Truth lesions taking part in matching.
    predictions : tuple of PredictedLesion
        Predicted lesions.
    matches : tuple of LesionMatch
        Pairs, in the greedy order they were taken.
    excluded : dict of str to int
        Truth findings left out of matching: ``resolved``, ``diffuse``, ``not_visible``.
    shared : tuple of LesionMatch
        Unmatched malignant truth lesions that a prediction matched to another malignant lesion lies
        on (see *Overlapping lesions* in the module notes); not part of :attr:`matches`.
    """

    truths: tuple[TruthLesion, ...]
    predictions: tuple[PredictedLesion, ...]
    matches: tuple[LesionMatch, ...]
    excluded: Mapping[str, int] = field(default_factory=dict)
    shared: tuple[LesionMatch, ...] = ()

    def truth_of(self, predicted: int) -> TruthLesion | None:
        """Return the truth lesion matched to prediction ``predicted`` (an index), if any."""
        for match in self.matches:
            if match.predicted == predicted:
                return self.truths[match.truth]
        return None

    def prediction_of(self, truth: int, *, shared: bool = False) -> PredictedLesion | None:
        """Return the predicted lesion matched to truth ``truth`` (an index), if any.

        With ``shared``, a prediction that lies on the lesion while matched to another counts too.
        """
        for match in (*self.matches, *self.shared) if shared else self.matches:
            if match.truth == truth:
                return self.predictions[match.predicted]
        return None

    @property
    def false_positives(self) -> tuple[PredictedLesion, ...]:
        """Unmatched predictions not labelled physiological."""
        return tuple(p for i, p in enumerate(self.predictions) if not p.physiological and not self._used(i))

    @property
    def physiological_unmatched(self) -> tuple[PredictedLesion, ...]:
        """Unmatched predictions labelled physiological (not counted as false positives)."""
        return tuple(p for i, p in enumerate(self.predictions) if p.physiological and not self._used(i))

    def detected(self, lesion_class: str) -> Proportion:
        """Return the truth lesions of a class matched by a prediction, out of that class.

        Parameters
        ----------
        lesion_class : str
            One of :data:`LESION_CLASSES`.

        Returns
        -------
        Proportion
            Detected lesions and lesions of the class.
        """
        if lesion_class not in LESION_CLASSES:
            raise ValueError(f"unknown lesion class {lesion_class!r}; use one of {LESION_CLASSES}")
        members = [i for i, t in enumerate(self.truths) if lesion_class in t.classes]
        matched = {m.truth for m in self.matches}
        return Proportion(sum(1 for i in members if i in matched), len(members))

    def _used(self, predicted: int) -> bool:
        return any(m.predicted == predicted for m in self.matches)


# --------------------------------------------------------------------------------------------------
# Parsing


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return number


def _optional_number(value: Any, what: str) -> float | None:
    return None if value is None else _number(value, what)


def _first(values: Any, what: str) -> float | None:
    if isinstance(values, Sequence) and not isinstance(values, str):
        return _number(values[0], what) if values else None
    return _optional_number(values, what)


def _pair(value: Any, what: str, *, scalar: bool = False) -> tuple[float, float]:
    """Two numbers from a list of two, or from one number repeated when ``scalar`` allows it."""
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        return _number(value[0], what), _number(value[1], what)
    if not scalar:
        raise ValueError(f"{what} must be a pair of numbers, got {value!r}")
    number = _number(value, what)
    return number, number


def view_spacings(result: Mapping[str, Any], truth: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """Row and column pixel spacing (mm) of each view: from the truth, else from the result."""
    image = truth.get("image") or {}
    grids = {v.get("view"): v for v in result.get("views") or [] if isinstance(v, Mapping)}
    spacings: dict[str, tuple[float, float]] = {}
    for view in VIEWS:
        grid = grids.get(view) or {}
        if image.get("rows") is not None and grid.get("rows") is not None:
            truth_shape = (image.get("rows"), image.get("columns"))
            if truth_shape != (grid.get("rows"), grid.get("columns")):
                raise ValueError(
                    f"the {view} view of the result is {grid.get('rows')}x{grid.get('columns')} pixels, "
                    f"the truth {truth_shape[0]}x{truth_shape[1]}: not the same grid"
                )
        if image.get("pixel_spacing_mm") is not None:
            spacings[view] = _pair(image["pixel_spacing_mm"], "truth image.pixel_spacing_mm", scalar=True)
        elif grid.get("pixel_spacing_mm") is not None:
            spacings[view] = _pair(grid["pixel_spacing_mm"], f"result {view} pixel_spacing_mm", scalar=True)
    for row, column in spacings.values():
        if row <= 0 or column <= 0:
            raise ValueError("pixel spacing must be positive")
    return spacings


def _truth_view(entry: Mapping[str, Any], spacing: tuple[float, float], what: str) -> TruthView:
    centre = _pair(entry["centre"], f"{what} centre")
    bbox_value = entry.get("bbox")
    bbox = None
    if bbox_value is not None:
        if len(bbox_value) != 4:
            raise ValueError(f"{what} bbox must be [row0, row1, col0, col1], got {bbox_value!r}")
        r0, r1, c0, c1 = (int(_number(b, f"{what} bbox")) for b in bbox_value)
        bbox = (r0, r1, c0, c1)
    diameter = _optional_number(entry.get("equivalent_diameter_mm"), f"{what} equivalent_diameter_mm")
    if diameter is None:
        area = _optional_number(entry.get("area_px"), f"{what} area_px") or 0.0
        diameter = 2.0 * math.sqrt(area / math.pi) * math.sqrt(spacing[0] * spacing[1])
    return TruthView(centre, bbox, diameter / 2.0)


def truth_lesions(
    truth: Mapping[str, Any], spacings: Mapping[str, tuple[float, float]]
) -> tuple[tuple[TruthLesion, ...], dict[str, int]]:
    """Return the truth lesions that take part in matching, and the counts of those left out.

    Parameters
    ----------
    truth : Mapping
        A simulator truth (``*.truth.json``).
    spacings : Mapping of str to tuple of float
        Row and column pixel spacing (mm) of each view.

    Returns
    -------
    tuple
        The lesions, and a dict with the numbers left out as ``resolved``, ``diffuse`` and
        ``not_visible``.
    """
    lesions: list[TruthLesion] = []
    excluded = {"resolved": 0, "diffuse": 0, "not_visible": 0}
    for index, finding in enumerate(truth.get("findings") or []):
        what = f"truth finding {finding.get('id', index)}"
        if finding.get("status") == "resolved":
            excluded["resolved"] += 1
            continue
        if finding.get("kind") in DIFFUSE_KINDS or finding.get("diffuse_uptake"):
            excluded["diffuse"] += 1
            continue
        views: dict[str, TruthView] = {}
        for view in VIEWS:
            entry = (finding.get("views") or {}).get(view)
            if entry:
                if view not in spacings:
                    raise ValueError(f"no pixel spacing for the {view} view in the truth or the result")
                views[view] = _truth_view(entry, spacings[view], f"{what} {view}")
        if not views:
            excluded["not_visible"] += 1
            continue
        lesions.append(
            TruthLesion(
                finding_id=int(finding.get("id", index)),
                kind=str(finding["kind"]),
                polarity=str(finding["polarity"]),
                malignant=bool(finding["malignant"]),
                radius_mm=_first(finding.get("radius_mm"), f"{what} radius_mm"),
                uptake_ratio=_first(finding.get("uptake_ratio"), f"{what} uptake_ratio"),
                views=views,
                contrast=max(
                    (
                        float(entry["contrast"])
                        for entry in (finding.get("views") or {}).values()
                        if entry and "contrast" in entry
                    ),
                    default=None,
                ),
                region=None if finding.get("region") is None else str(finding["region"]),
            )
        )
    return tuple(lesions), excluded


def predicted_lesions(result: Mapping[str, Any]) -> tuple[PredictedLesion, ...]:
    """Group the hotspots of a result by ``finding_id`` into predicted lesions.

    Parameters
    ----------
    result : Mapping
        A bonescan analysis result (``result.json``).

    Returns
    -------
    tuple of PredictedLesion
        In order of first appearance; a hotspot without ``finding_id`` is a lesion of its own.
    """
    groups: dict[int, list[Mapping[str, Any]]] = {}
    for index, hotspot in enumerate(result.get("hotspots") or []):
        key = hotspot.get("finding_id")
        groups.setdefault(-(index + 1) if key is None else int(key), []).append(hotspot)
    lesions = []
    for key, hotspots in groups.items():
        points = []
        for hotspot in hotspots:
            what = f"hotspot of finding {key}"
            view, kind = hotspot.get("view"), hotspot.get("kind")
            if view not in VIEWS:
                raise ValueError(f"{what}: view must be one of {VIEWS}, got {view!r}")
            if kind not in _COMPATIBLE:
                raise ValueError(f"{what}: kind must be hot or cold, got {kind!r}")
            points.append(
                HotspotPoint(
                    view,
                    _number(hotspot["row"], f"{what} row"),
                    _number(hotspot["column"], f"{what} column"),
                    kind,
                )
            )
        probabilities = [
            _number(h.get("metastasis_probability", 0.0), "metastasis_probability") for h in hotspots
        ]
        lesions.append(
            PredictedLesion(key, str(hotspots[0].get("label", "")), max(probabilities), tuple(points))
        )
    return tuple(lesions)


# --------------------------------------------------------------------------------------------------
# Matching


def qualifying_distance(
    lesion: PredictedLesion,
    truth: TruthLesion,
    spacings: Mapping[str, tuple[float, float]],
    margin_mm: float,
) -> tuple[float, str] | None:
    """Shortest distance (mm) and its view over the hotspots that may match ``truth``, or None."""
    best: tuple[float, str] | None = None
    for point in lesion.points:
        where = truth.views.get(point.view)
        if where is None or truth.polarity not in _COMPATIBLE[point.kind]:
            continue
        row_mm, column_mm = spacings[point.view]
        distance = math.hypot(
            (point.row - where.centre[0]) * row_mm, (point.column - where.centre[1]) * column_mm
        )
        inside = distance <= where.radius_mm + margin_mm
        if not inside and where.bbox is not None:
            r0, r1, c0, c1 = where.bbox
            grow_r, grow_c = 0.5 + margin_mm / row_mm, 0.5 + margin_mm / column_mm
            inside = r0 - grow_r <= point.row <= r1 + grow_r and c0 - grow_c <= point.column <= c1 + grow_c
        if inside and (best is None or distance < best[0]):
            best = (distance, point.view)
    return best


def match_scan(result: Mapping[str, Any], truth: Mapping[str, Any], margin_mm: float = 10.0) -> ScanMatch:
    """Match the predicted lesions of a result one-to-one to the truth lesions of its scan.

    Parameters
    ----------
    result : Mapping
        The analysis result of the scan (``result.json`` contract).
    truth : Mapping
        The simulator truth of the same scan (``*.truth.json``).
    margin_mm : float
        Margin added around each truth lesion (see the module notes for the rule).

    Returns
    -------
    ScanMatch
        Truth and predicted lesions and the pairs taken.

    Raises
    ------
    ValueError
        When the margin is negative, a field is malformed, the views are not on the truth's grid or
        no pixel spacing is known.
    """
    if not margin_mm >= 0.0:
        raise ValueError(f"margin_mm must be >= 0, got {margin_mm}")
    spacings = view_spacings(result, truth)
    truths, excluded = truth_lesions(truth, spacings)
    predictions = predicted_lesions(result)
    for lesion in predictions:
        for point in lesion.points:
            if point.view not in spacings:
                raise ValueError(f"no pixel spacing for the {point.view} view in the truth or the result")
    candidates = []
    for p, lesion in enumerate(predictions):
        for t, target in enumerate(truths):
            found = qualifying_distance(lesion, target, spacings, margin_mm)
            if found is not None:
                candidates.append((found[0], p, t, found[1]))
    candidates.sort(key=lambda c: (predictions[c[1]].physiological, c[0], c[1], c[2]))
    used_p: set[int] = set()
    used_t: set[int] = set()
    matches = []
    for distance, p, t, view in candidates:
        if p not in used_p and t not in used_t:
            used_p.add(p)
            used_t.add(t)
            matches.append(LesionMatch(p, t, view, round(distance, 6)))
    shared = _shared_hits(truths, predictions, matches, spacings)
    return ScanMatch(truths, predictions, tuple(matches), excluded, shared)


def _shared_hits(
    truths: tuple[TruthLesion, ...],
    predictions: tuple[PredictedLesion, ...],
    matches: list[LesionMatch],
    spacings: Mapping[str, tuple[float, float]],
) -> tuple[LesionMatch, ...]:
    """Return the shared hits of one scan (*Overlapping lesions* in the module notes).

    Each unmatched malignant lesion is paired with the nearest prediction that lies on it (no
    margin) while matched to another malignant lesion.
    """
    matched = {m.truth for m in matches}
    shared = []
    for t, target in enumerate(truths):
        if t in matched or not target.malignant:
            continue
        best: LesionMatch | None = None
        for m in matches:
            if not truths[m.truth].malignant:
                continue
            found = qualifying_distance(predictions[m.predicted], target, spacings, 0.0)
            if found is not None and (best is None or found[0] < best.distance_mm):
                best = LesionMatch(m.predicted, t, found[1], round(found[0], 6))
        if best is not None:
            shared.append(best)
    return tuple(shared)


# --------------------------------------------------------------------------------------------------
# Scans and cohort


@dataclass(frozen=True)
class ScanOutcome:
    """Everything the cohort figures need from one analysed scan.

    Attributes
    ----------
    case_id : str
        Case folder name (``case00001``).
    acquisition : str
        File stem: ``baseline``, ``repeat1``, ...
    match : ScanMatch
        Lesion matching.
    metastatic : bool
        Truth: the patient has bone metastases.
    patient_label : str
        Truth ``patient.label`` (normal, benign or metastatic).
    truth_bsi : float or None
        Truth ``bsi.value`` (percent).
    bsi_percent : float or None
        Result ``patient.bsi_percent``.
    probability : float or None
        Result ``patient.metastasis_probability``.
    seconds : float or None
        Wall time of the analysis call.
    super_scan : bool
        Truth: the scan has a super scan (a finding of :data:`DIFFUSE_KINDS`).
    super_scan_called : bool or None
        Result ``patient.super_scan``; None when the result does not say.
    """

    case_id: str
    acquisition: str
    match: ScanMatch
    metastatic: bool
    patient_label: str
    truth_bsi: float | None
    bsi_percent: float | None
    probability: float | None
    seconds: float | None = None
    super_scan: bool = False
    super_scan_called: bool | None = None

    @property
    def baseline(self) -> bool:
        """Whether this is the baseline acquisition of its case."""
        return self.acquisition == "baseline"


def score_scan(
    result: Mapping[str, Any],
    truth: Mapping[str, Any],
    *,
    case_id: str | None = None,
    acquisition: str = "baseline",
    seconds: float | None = None,
    margin_mm: float = 10.0,
) -> ScanOutcome:
    """Score one result against its truth.

    Parameters
    ----------
    result : Mapping
        The analysis result of the scan.
    truth : Mapping
        The simulator truth of the scan.
    case_id : str or None
        Case name; the truth ``case_id`` by default.
    acquisition : str
        ``baseline`` or ``repeat<k>``.
    seconds : float or None
        Wall time of the analysis.
    margin_mm : float
        Matching margin.

    Returns
    -------
    ScanOutcome
        The lesion matching and the patient-level values of the scan.
    """
    patient = truth.get("patient") or {}
    label = str(patient.get("label", ""))
    malignant = any(f.get("malignant") and f.get("status") != "resolved" for f in truth.get("findings") or [])
    summary = result.get("patient") or {}
    return ScanOutcome(
        case_id=case_id if case_id is not None else str(truth.get("case_id", "")),
        acquisition=acquisition,
        match=match_scan(result, truth, margin_mm),
        metastatic=label == "metastatic" or malignant,
        patient_label=label,
        truth_bsi=_optional_number((truth.get("bsi") or {}).get("value"), "truth bsi.value"),
        bsi_percent=_optional_number(summary.get("bsi_percent"), "result patient.bsi_percent"),
        probability=_optional_number(
            summary.get("metastasis_probability"), "result patient.metastasis_probability"
        ),
        seconds=seconds,
        super_scan=any(f.get("kind") in DIFFUSE_KINDS for f in truth.get("findings") or []),
        super_scan_called=_optional_flag(summary.get("super_scan")),
    )


def _optional_flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _proportion(value: Proportion) -> dict[str, Any]:
    return {"value": _round(value.value), "count": value.count, "n": value.n}


def _reliability(pairs: list[tuple[float, bool]], bins: int) -> list[dict[str, Any]]:
    table = []
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        inside = [(p, y) for p, y in pairs if low <= p < high or (index == bins - 1 and p == 1.0)]
        table.append(
            {
                "bin": [low, high],
                "n": len(inside),
                "mean_predicted": _round(sum(p for p, _ in inside) / len(inside)) if inside else None,
                "observed": _round(sum(1 for _, y in inside if y) / len(inside)) if inside else None,
            }
        )
    return table


@dataclass
class FindingsEvaluation:
    """Lesion, patient, BSI, repeatability and timing figures of a cohort.

    Attributes
    ----------
    scans : list of ScanOutcome
        Every scored scan, baselines and repeats.
    cohort : str
        The cohort folder.
    margin_mm : float
        Matching margin used.
    thresholds : tuple of float
        FROC thresholds.
    """

    scans: list[ScanOutcome] = field(default_factory=list)
    cohort: str = ""
    margin_mm: float = 10.0
    thresholds: tuple[float, ...] = FROC_THRESHOLDS

    @property
    def baselines(self) -> list[ScanOutcome]:
        """The baseline scans, one per patient: the scans of every figure but repeatability."""
        return [s for s in self.scans if s.baseline]

    # Lesions --------------------------------------------------------------------------------------

    def sensitivity(self, lesion_class: str) -> Proportion:
        """Return the detected truth lesions of a class over the baseline scans (:data:`LESION_CLASSES`)."""
        parts = [s.match.detected(lesion_class) for s in self.baselines]
        return Proportion(sum(p.count for p in parts), sum(p.n for p in parts))

    def false_positives(self) -> tuple[int, int]:
        """Return the false positives over the baseline scans and the number of those scans."""
        return sum(len(s.match.false_positives) for s in self.baselines), len(self.baselines)

    def _calls(
        self, target_class: str = "metastatic_hot", *, shared: bool = False
    ) -> tuple[list[float], list[float], list[float | None]]:
        """Positive scores, negative scores and, per truth of ``target_class``, its detection's score.

        With ``shared``, a lesion found only by a detection matched to an overlapping lesion takes
        that detection's score.
        """
        positives: list[float] = []
        negatives: list[float] = []
        lesion_scores: list[float | None] = []
        for scan in self.baselines:
            match = scan.match
            for i, lesion in enumerate(match.predictions):
                target = match.truth_of(i)
                if target is not None and target.malignant:
                    positives.append(lesion.probability)
                elif target is not None or not lesion.physiological:
                    negatives.append(lesion.probability)
            for t, target in enumerate(match.truths):
                if target_class in target.classes:
                    found = match.prediction_of(t, shared=shared)
                    lesion_scores.append(None if found is None else found.probability)
        return positives, negatives, lesion_scores

    def froc(self, target_class: str = "metastatic_hot", *, shared: bool = False) -> list[FrocPoint]:
        """Return the FROC points of the metastatic lesions of ``target_class`` at :attr:`thresholds`.

        False positives are the same for every class: positive detections that match no malignant truth.
        With ``shared``, overlapping lesions found by one detection all count (module notes).
        """
        _, negatives, lesion_scores = self._calls(target_class, shared=shared)
        return froc_points(lesion_scores, negatives, len(self.baselines), self.thresholds)

    def sensitivity_at_fp(
        self, target_class: str, fp_per_scan: float, *, shared: bool = False
    ) -> FrocPoint | None:
        """Return the FROC point of ``target_class`` with the highest sensitivity at most ``fp_per_scan``."""
        points = [
            p
            for p in self.froc(target_class, shared=shared)
            if p.fp_per_scan is not None and p.fp_per_scan <= fp_per_scan and p.sensitivity is not None
        ]
        return max(points, key=lambda p: (p.sensitivity or 0.0, -p.threshold), default=None)

    def lesion_auc(self) -> tuple[float | None, int, int]:
        """Return the lesion-level AUC and the numbers of positive and negative detections."""
        positives, negatives, _ = self._calls()
        return auc_mann_whitney(positives, negatives), len(positives), len(negatives)

    # Patients -------------------------------------------------------------------------------------

    def _patients(self) -> list[ScanOutcome]:
        return [s for s in self.baselines if s.probability is not None]

    def patient_auc(self) -> tuple[float | None, int, int]:
        """Return the patient AUC and the numbers of metastatic and non-metastatic patients."""
        scans = self._patients()
        positives = [s.probability for s in scans if s.metastatic and s.probability is not None]
        negatives = [s.probability for s in scans if not s.metastatic and s.probability is not None]
        return auc_mann_whitney(positives, negatives), len(positives), len(negatives)

    def patient_calls(self, threshold: float) -> tuple[Proportion, Proportion, Proportion]:
        """Return sensitivity, specificity and benign-only specificity at a threshold."""
        scans = self._patients()
        scores = [s.probability for s in scans if s.probability is not None]
        sensitivity, specificity = sensitivity_specificity(scores, [s.metastatic for s in scans], threshold)
        benign = [s.probability for s in scans if self._benign_only(s) and s.probability is not None]
        return sensitivity, specificity, Proportion(sum(1 for p in benign if p < threshold), len(benign))

    @staticmethod
    def _benign_only(scan: ScanOutcome) -> bool:
        return not scan.metastatic and scan.patient_label == "benign"

    def threshold_at_sensitivity(self, target: float = TARGET_SENSITIVITY) -> float | None:
        """Return the highest patient threshold with a sensitivity >= ``target`` (None without cases)."""
        positives = [s.probability for s in self._patients() if s.metastatic and s.probability is not None]
        return threshold_for_sensitivity(positives, target)

    def calibration(self, bins: int = 5) -> dict[str, list[dict[str, Any]]]:
        """Return reliability tables: per probability bin, the mean prediction and the observed rate.

        Lesions: every detection that is not unmatched physiological uptake, observed positive when it
        matches a malignant truth. Patients: baseline scans, observed positive when metastatic.
        """
        positives, negatives, _ = self._calls()
        lesions = [(p, True) for p in positives] + [(p, False) for p in negatives]
        patients = [(s.probability, s.metastatic) for s in self._patients() if s.probability is not None]
        return {"lesions": _reliability(lesions, bins), "patients": _reliability(patients, bins)}

    # BSI, repeatability, time ---------------------------------------------------------------------

    def bsi(self) -> dict[str, Any]:
        """Return Pearson r, bias and mean absolute error of the BSI over the baseline scans, with n."""
        pairs = [
            (s.bsi_percent, s.truth_bsi)
            for s in self.baselines
            if s.bsi_percent is not None and s.truth_bsi is not None
        ]
        predicted = [p for p, _ in pairs]
        truth = [t for _, t in pairs]
        bias, _ = mean_and_sd([p - t for p, t in pairs])
        return {
            "n": len(pairs),
            "pearson_r": _round(pearson(predicted, truth)),
            "bias": _round(bias),
            "mean_absolute_error": _round(mean_absolute_error(predicted, truth)),
        }

    def super_scan_calls(self) -> dict[str, Any]:
        """Return the baseline super scans called, and the false calls, over the scans whose result says.

        A call sets the BSI of the whole axial skeleton, so one false call moves it by about 30 points.
        """
        said = [s for s in self.baselines if s.super_scan_called is not None]
        truths = [s for s in said if s.super_scan]
        return {
            "called": _proportion(Proportion(sum(bool(s.super_scan_called) for s in truths), len(truths))),
            "false_calls": sum(bool(s.super_scan_called) and not s.super_scan for s in said),
            "scans": len(said),
        }

    def per_scan(self) -> list[dict[str, Any]]:
        """Return one row per scored scan, truth beside result: where each cohort figure comes from."""
        rows = []
        for scan in self.scans:
            result, truth = scan.bsi_percent, scan.truth_bsi
            error = result - truth if result is not None and truth is not None else None
            rows.append(
                {
                    "case_id": scan.case_id,
                    "acquisition": scan.acquisition,
                    "patient_label": scan.patient_label,
                    "metastatic": scan.metastatic,
                    "probability": _round(scan.probability),
                    "truth_bsi": _round(scan.truth_bsi),
                    "bsi_percent": _round(scan.bsi_percent),
                    "bsi_error": _round(error),
                    "false_positives": len(scan.match.false_positives),
                    "super_scan": scan.super_scan,
                    "super_scan_called": scan.super_scan_called,
                }
            )
        return rows

    def repeat_differences(self) -> tuple[list[float], list[float]]:
        """Return repeat-minus-baseline differences of BSI and of the patient probability."""
        base = {s.case_id: s for s in self.baselines}
        bsi: list[float] = []
        probability: list[float] = []
        for scan in self.scans:
            reference = base.get(scan.case_id)
            if scan.baseline or reference is None or not scan.acquisition.startswith("repeat"):
                continue
            if scan.bsi_percent is not None and reference.bsi_percent is not None:
                bsi.append(scan.bsi_percent - reference.bsi_percent)
            if scan.probability is not None and reference.probability is not None:
                probability.append(scan.probability - reference.probability)
        return bsi, probability

    def repeatability(self) -> dict[str, Any]:
        """Return mean and SD of the repeat-minus-baseline differences, with the number of pairs."""
        bsi, probability = self.repeat_differences()
        bsi_mean, bsi_sd = mean_and_sd(bsi)
        p_mean, p_sd = mean_and_sd(probability)
        return {
            "pairs": len(bsi),
            "bsi_difference_mean": _round(bsi_mean),
            "bsi_difference_sd": _round(bsi_sd),
            "probability_pairs": len(probability),
            "probability_difference_mean": _round(p_mean),
            "probability_difference_sd": _round(p_sd),
        }

    def timing(self) -> dict[str, Any]:
        """Return the median and maximum wall time of the analysis calls, with n."""
        seconds = [s.seconds for s in self.scans if s.seconds is not None]
        return {
            "n": len(seconds),
            "median_seconds": _round(statistics.median(seconds), 3) if seconds else None,
            "max_seconds": _round(max(seconds), 3) if seconds else None,
        }

    # Output ---------------------------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """Return every figure as a JSON-ready dictionary with stable keys (see the module notes)."""
        fp, n_scans = self.false_positives()
        lesion_auc, n_pos, n_neg = self.lesion_auc()
        patient_auc, n_met, n_non = self.patient_auc()
        sens, spec, benign_spec = self.patient_calls(PATIENT_THRESHOLD)
        threshold = self.threshold_at_sensitivity(TARGET_SENSITIVITY)
        at_target: dict[str, Any] = {"target_sensitivity": TARGET_SENSITIVITY, "threshold": _round(threshold)}
        if threshold is not None:
            t_sens, _, t_benign = self.patient_calls(threshold)
        else:
            t_sens, t_benign = Proportion(0, 0), Proportion(0, 0)
        at_target["sensitivity"] = _proportion(t_sens)
        at_target["benign_specificity"] = _proportion(t_benign)
        repeatability = self.repeatability()
        excluded = {"resolved": 0, "diffuse": 0, "not_visible": 0}
        for scan in self.baselines:
            for key, count in scan.match.excluded.items():
                excluded[key] = excluded.get(key, 0) + count
        benign_value = t_benign.value if threshold is not None else None
        repeat_sd = repeatability["bsi_difference_sd"]
        return {
            "schema": SCHEMA,
            "cohort": self.cohort,
            "margin_mm": self.margin_mm,
            "scans": {
                "cases": len({s.case_id for s in self.scans}),
                "baseline": len(self.baselines),
                "repeat": sum(1 for s in self.scans if not s.baseline),
            },
            "lesions": {
                "sensitivity": {name: _proportion(self.sensitivity(name)) for name in LESION_CLASSES},
                "false_positives_per_scan": {
                    "value": _round(fp / n_scans if n_scans else None),
                    "false_positives": fp,
                    "scans": n_scans,
                },
                "physiological_unmatched": sum(len(s.match.physiological_unmatched) for s in self.baselines),
                "counting_overlapping_lesions": {
                    "metastases_r8mm_c2_sensitivity_at_0.3_fp": self._overlap_figure(
                        "metastatic_hot_r8mm_c2"
                    ),
                    "shared_hits": sum(len(s.match.shared) for s in self.baselines),
                },
                "bar_misses": self.bar_misses("metastatic_hot_r8mm_c2"),
                "excluded_truths": excluded,
                "auc": {"value": _round(lesion_auc), "n_positive": n_pos, "n_negative": n_neg},
                "froc": [
                    {
                        "threshold": p.threshold,
                        "sensitivity": _round(p.sensitivity),
                        "fp_per_scan": _round(p.fp_per_scan),
                        "detected": p.detected,
                        "lesions": p.lesions,
                        "false_positives": p.false_positives,
                        "scans": p.scans,
                    }
                    for p in self.froc()
                ],
            },
            "patients": {
                "auc": {"value": _round(patient_auc), "n_metastatic": n_met, "n_non_metastatic": n_non},
                "threshold": PATIENT_THRESHOLD,
                "sensitivity": _proportion(sens),
                "specificity": _proportion(spec),
                "benign_specificity": _proportion(benign_spec),
                "at_target_sensitivity": at_target,
            },
            "bsi": self.bsi(),
            "super_scan": self.super_scan_calls(),
            "repeatability": repeatability,
            "time": self.timing(),
            "calibration": self.calibration(),
            "per_scan": self.per_scan(),
            "bars": {
                "metastases_r8mm_c2_sensitivity_at_0.3_fp": self._lesion_bar("metastatic_hot_r8mm_c2"),
                "metastases_r8mm_u2_sensitivity_at_0.3_fp": self._lesion_bar("metastatic_hot_r8mm_u2"),
                "benign_specificity_at_sensitivity_0.90": {
                    "target": BAR_BENIGN_SPECIFICITY,
                    "value": _round(benign_value),
                    "met": None if benign_value is None else benign_value >= BAR_BENIGN_SPECIFICITY,
                },
                "bsi_repeatability_sd": {
                    "target": BAR_REPEAT_SD,
                    "value": repeat_sd,
                    "met": None if repeat_sd is None else repeat_sd <= BAR_REPEAT_SD,
                },
            },
        }

    def _lesion_bar(self, target_class: str) -> dict[str, Any]:
        point = self.sensitivity_at_fp(target_class, BAR_LESION_FP)
        value = None if point is None else point.sensitivity
        return {
            "target": BAR_LESION_SENSITIVITY,
            "value": _round(value),
            "threshold": None if point is None else point.threshold,
            "fp_per_scan": None if point is None else _round(point.fp_per_scan),
            "met": None if value is None else value >= BAR_LESION_SENSITIVITY,
        }

    def _overlap_figure(self, target_class: str) -> dict[str, Any]:
        point = self.sensitivity_at_fp(target_class, BAR_LESION_FP, shared=True)
        if point is None:
            return {"value": None, "threshold": None, "fp_per_scan": None}
        return {
            "value": _round(point.sensitivity),
            "threshold": point.threshold,
            "fp_per_scan": _round(point.fp_per_scan),
            "detected": point.detected,
            "lesions": point.lesions,
        }

    def bar_misses(self, target_class: str = "metastatic_hot_r8mm_c2") -> dict[str, Any]:
        """Return the lesions of ``target_class`` the bar figure does not count, and why (module notes)."""
        point = self.sensitivity_at_fp(target_class, BAR_LESION_FP)
        threshold = math.inf if point is None else point.threshold
        rows = []
        for scan in self.baselines:
            for index, lesion in enumerate(scan.match.truths):
                if target_class not in lesion.classes:
                    continue
                found = scan.match.prediction_of(index)
                if found is not None and found.probability >= threshold:
                    continue
                if found is not None:
                    rows.append(_miss_row(scan, lesion, "below_threshold", found))
                elif (shared := scan.match.prediction_of(index, shared=True)) is not None:
                    rows.append(_miss_row(scan, lesion, "lies_on_another", shared))
                else:
                    rows.append(_miss_row(scan, lesion, "not_detected", None))
        return {
            "class": target_class,
            "threshold": None if point is None else point.threshold,
            "by_reason": {reason: sum(row["reason"] == reason for row in rows) for reason in MISS_REASONS},
            "lesions": rows,
        }

    def to_markdown(self) -> str:
        """Return the figures as Markdown tables (figure, value, count) for the documentation."""
        figures = self.as_dict()
        rows: list[tuple[str, str, str]] = []
        lesions = figures["lesions"]
        for name in LESION_CLASSES:
            entry = lesions["sensitivity"][name]
            rows.append((f"Sensitivity, {_CLASS_TITLES[name]}", _fmt(entry["value"]), _of(entry, "lesions")))
        fp = lesions["false_positives_per_scan"]
        rows.append(
            ("False positives per scan", _fmt(fp["value"]), f"{fp['false_positives']} in {fp['scans']} scans")
        )
        auc = lesions["auc"]
        rows.append(
            (
                "Lesion AUC, metastasis probability",
                _fmt(auc["value"]),
                f"{auc['n_positive']} + / {auc['n_negative']} -",
            )
        )
        patients = figures["patients"]
        pauc = patients["auc"]
        rows.append(
            (
                "Patient AUC, metastatic vs not",
                _fmt(pauc["value"]),
                f"{pauc['n_metastatic']} + / {pauc['n_non_metastatic']} -",
            )
        )
        rows.append(
            (
                "Patient sensitivity at 0.5",
                _fmt(patients["sensitivity"]["value"]),
                _of(patients["sensitivity"], "patients"),
            )
        )
        rows.append(
            (
                "Patient specificity at 0.5",
                _fmt(patients["specificity"]["value"]),
                _of(patients["specificity"], "patients"),
            )
        )
        rows.append(
            (
                "Specificity, benign-only patients, at 0.5",
                _fmt(patients["benign_specificity"]["value"]),
                _of(patients["benign_specificity"], "patients"),
            )
        )
        target = patients["at_target_sensitivity"]
        rows.append(
            (
                f"Specificity, benign-only, at sensitivity >= 0.90 (threshold {_fmt(target['threshold'])})",
                _fmt(target["benign_specificity"]["value"]),
                _of(target["benign_specificity"], "patients"),
            )
        )
        bsi = figures["bsi"]
        rows.append(("BSI Pearson r", _fmt(bsi["pearson_r"]), f"{bsi['n']} scans"))
        rows.append(("BSI bias (result - truth), points", _fmt(bsi["bias"]), f"{bsi['n']} scans"))
        rows.append(
            ("BSI mean absolute error, points", _fmt(bsi["mean_absolute_error"]), f"{bsi['n']} scans")
        )
        calls = figures["super_scan"]
        rows.append(("Super scans called", _fmt(calls["called"]["value"]), _of(calls["called"], "patients")))
        rows.append(
            ("Super-scan calls on other patients", str(calls["false_calls"]), f"{calls['scans']} scans")
        )
        rep = figures["repeatability"]
        rows.append(
            ("Repeat - baseline BSI, mean", _fmt(rep["bsi_difference_mean"]), f"{rep['pairs']} pairs")
        )
        rows.append(("Repeat - baseline BSI, SD", _fmt(rep["bsi_difference_sd"]), f"{rep['pairs']} pairs"))
        rows.append(
            (
                "Repeat - baseline probability, SD",
                _fmt(rep["probability_difference_sd"]),
                f"{rep['probability_pairs']} pairs",
            )
        )
        timing = figures["time"]
        rows.append(
            ("Time per study, median (s)", _fmt(timing["median_seconds"], 2), f"{timing['n']} studies")
        )
        rows.append(("Time per study, max (s)", _fmt(timing["max_seconds"], 2), f"{timing['n']} studies"))
        lines = ["| Figure | Value | n |", "|---|---:|---:|"]
        lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
        lines += ["", "| Threshold | Sensitivity, metastases | FP per scan |", "|---:|---:|---:|"]
        lines += [
            f"| {p['threshold']:.2f} | {_fmt(p['sensitivity'])} ({p['detected']}/{p['lesions']}) "
            f"| {_fmt(p['fp_per_scan'])} ({p['false_positives']}/{p['scans']}) |"
            for p in lesions["froc"]
        ]
        bars = figures["bars"]
        lines += ["", "| Bar | Target | Value | Met |", "|---|---:|---:|---|"]
        for title, key, sign in (
            (
                "Metastases >= 8 mm, image contrast >= 2: sensitivity at <= 0.3 FP/scan",
                "metastases_r8mm_c2_sensitivity_at_0.3_fp",
                ">=",
            ),
            (
                "Metastases >= 8 mm, uptake >= 2: sensitivity at <= 0.3 FP/scan",
                "metastases_r8mm_u2_sensitivity_at_0.3_fp",
                ">=",
            ),
            (
                "Specificity, benign-only, at sensitivity >= 0.90",
                "benign_specificity_at_sensitivity_0.90",
                ">=",
            ),
            ("Repeat - baseline BSI, SD (points)", "bsi_repeatability_sd", "<="),
        ):
            bar = bars[key]
            met = "n/a" if bar["met"] is None else ("yes" if bar["met"] else "no")
            lines.append(f"| {title} | {sign} {bar['target']:.2f} | {_fmt(bar['value'])} | {met} |")
        overlap = lesions["counting_overlapping_lesions"]["metastases_r8mm_c2_sensitivity_at_0.3_fp"]
        found = f" ({overlap['detected']}/{overlap['lesions']})" if overlap["value"] is not None else ""
        lines += [
            "",
            "Not a bar figure: counting also the lesions a detection lies on while matched to an "
            "overlapping one, metastases >= 8 mm with image contrast >= 2 at <= 0.3 FP/scan: "
            f"{_fmt(overlap['value'])}{found}.",
            "",
            _misses_sentence(lesions["bar_misses"]),
        ]
        return "\n".join(lines) + "\n"


def _miss_row(
    scan: ScanOutcome, lesion: TruthLesion, reason: str, detection: PredictedLesion | None
) -> dict[str, Any]:
    return {
        "case_id": scan.case_id,
        "truth_id": lesion.finding_id,
        "kind": lesion.kind,
        "region": lesion.region,
        "radius_mm": _round(lesion.radius_mm, 1),
        "contrast": _round(lesion.contrast, 2),
        "reason": reason,
        "probability": None if detection is None else _round(detection.probability),
    }


def _misses_sentence(misses: Mapping[str, Any]) -> str:
    counts = misses["by_reason"]
    at = "no threshold" if misses["threshold"] is None else f"threshold {misses['threshold']:.2f}"
    return (
        f"Metastases >= 8 mm with image contrast >= 2 that the bar figure does not count ({at}): "
        f"{counts['not_detected']} not detected, {counts['lies_on_another']} lying on a detection matched "
        f"to another metastasis, {counts['below_threshold']} detected below the threshold "
        "(each listed in the JSON, `lesions.bar_misses`)."
    )


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _of(entry: Mapping[str, Any], unit: str) -> str:
    return f"{entry['count']}/{entry['n']} {unit}"


# --------------------------------------------------------------------------------------------------
# Runner


def _repeat_index(path: Path) -> int:
    found = re.fullmatch(r"repeat(\d+)", path.stem)
    return int(found.group(1)) if found else 0


def _acquisitions(case: Path) -> list[Path]:
    repeats = [p for p in case.glob("repeat*.dcm") if _repeat_index(p) > 0]
    return [case / "baseline.dcm", *sorted(repeats, key=_repeat_index)]


def load_truth(scan: Path) -> dict[str, Any]:
    """Read the simulator truth of ``scan`` (``<stem>.truth.json`` beside it), or raise InputError."""
    path = scan.with_name(f"{scan.stem}.truth.json")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(path, f"cannot read the truth of {scan.name} ({error.strerror or error})") from error
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(path, f"not valid JSON ({error})") from error
    if not isinstance(loaded, dict):
        raise InputError(path, "not a simulator truth (expected a JSON object)")
    return loaded


def evaluate_findings(
    cohort: str | Path,
    analyze: Callable[[Path], Mapping[str, Any]],
    limit: int | None = None,
    *,
    margin_mm: float = 10.0,
    thresholds: Iterable[float] = FROC_THRESHOLDS,
) -> FindingsEvaluation:
    """Analyse every baseline and repeat scan of a simulated cohort and score it against the truth.

    Parameters
    ----------
    cohort : str or Path
        Folder written by ``bonescan simulate`` (``case*/baseline.dcm`` with ``baseline.truth.json``,
        and ``repeat<k>.dcm`` with its truth when simulated with repeats).
    analyze : callable
        Called with the path of each DICOM file; returns its result (``result.json`` contract). Its
        wall time is measured.
    limit : int or None
        Evaluate the first ``limit`` cases (sorted by name) only.
    margin_mm : float
        Matching margin (see the module notes).
    thresholds : iterable of float
        FROC thresholds.

    Returns
    -------
    FindingsEvaluation
        The scored scans; its :meth:`~FindingsEvaluation.as_dict` holds the figures.

    Raises
    ------
    InputError
        When the folder holds no simulated case, a truth file is missing or unreadable, or a result
        cannot be scored against its truth.
    """
    folder = Path(cohort)
    cases = sorted(p.parent for p in folder.glob("case*/baseline.dcm"))
    if not cases:
        raise InputError(folder, "no case*/baseline.dcm here; give a folder written by bonescan simulate")
    if limit is not None:
        cases = cases[: max(0, limit)]
    evaluation = FindingsEvaluation(cohort=str(folder), margin_mm=margin_mm, thresholds=tuple(thresholds))
    for case in cases:
        for scan in _acquisitions(case):
            truth = load_truth(scan)
            started = time.perf_counter()
            result = analyze(scan)
            seconds = time.perf_counter() - started
            try:
                outcome = score_scan(
                    result,
                    truth,
                    case_id=case.name,
                    acquisition=scan.stem,
                    seconds=seconds,
                    margin_mm=margin_mm,
                )
            except (KeyError, TypeError, ValueError) as error:
                raise InputError(
                    scan, f"cannot score the result against {scan.stem}.truth.json: {error}"
                ) from error
            evaluation.scans.append(outcome)
            logger.info(
                "%s/%s: %d/%d truth lesions detected, %d false positive(s), %.2f s",
                case.name,
                scan.stem,
                len(outcome.match.matches),
                len(outcome.match.truths),
                len(outcome.match.false_positives),
                seconds,
            )
    return evaluation
