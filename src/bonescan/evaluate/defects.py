"""Photopenic defects cut into simulated scans: how many the analysis finds, and its false cold spots.

The simulator's own cold lesions are mostly faint (image contrast 0.8-0.95: bone in front of and
behind a deposit still takes up tracer), fainter than a reader reports. This measurement asks the
other question: of defects clear enough to report, how many are found? Each baseline scan of a
cohort gets :data:`DEFECTS_PER_SCAN` discs of reduced counts, placed at random on the bone of
:data:`DEFECT_REGIONS` (the simulator's label map), at least :data:`CLEARANCE_MM` from any
simulated finding and from each other. A disc of radius ``r`` (uniform in :data:`RADIUS_MM`) keeps
each count with probability ``k`` (uniform in :data:`KEEP`): binomial thinning, so the counts stay
Poisson. The same disc is cut into both views (the simulator's posterior view is the anterior
mirrored left to right).

A defect is **found** when a cold hotspot of the result lies within its radius plus
:data:`MARGIN_MM` in some view. A cold finding (hotspots grouped by ``finding_id``) that is near no
defect and no simulated cold or mixed (prosthesis) lesion, by the matching rule of
:mod:`bonescan.evaluate.findings`, is a **false cold finding**.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from bonescan.errors import InputError
from bonescan.evaluate.findings import (
    load_truth,
    predicted_lesions,
    qualifying_distance,
    truth_lesions,
    view_spacings,
)
from bonescan.io import load_study
from bonescan.regions import region, region_by_label
from bonescan.study import Study, ViewName

__all__ = [
    "CLEARANCE_MM",
    "DEFECTS_PER_SCAN",
    "DEFECT_REGIONS",
    "KEEP",
    "MARGIN_MM",
    "RADIUS_MM",
    "CutDefect",
    "DefectsEvaluation",
    "cut_defects",
    "evaluate_defects",
]

DEFECTS_PER_SCAN = 2
#: Where lytic metastases and myeloma mostly lie.
DEFECT_REGIONS = (
    "skull",
    "cervical_spine",
    "thoracic_spine",
    "lumbar_spine",
    "sacrum",
    "sternum",
    "ribs_left",
    "ribs_right",
    "scapula_left",
    "scapula_right",
    "pelvis_left",
    "pelvis_right",
    "humerus_proximal_left",
    "humerus_proximal_right",
    "femur_proximal_left",
    "femur_proximal_right",
)
RADIUS_MM = (11.0, 18.0)
KEEP = (0.3, 0.6)
CLEARANCE_MM = 30.0
MARGIN_MM = 10.0
_EDGE_PX = 3
_KEEP_BINS = ((0.3, 0.4), (0.4, 0.5), (0.5, 0.6))
_DEFECT_LABELS = np.zeros(256, dtype=bool)
_DEFECT_LABELS[[region(name).label for name in DEFECT_REGIONS]] = True


@dataclass(frozen=True)
class CutDefect:
    """One disc of reduced counts: its centre per view (row, column), radius and kept share."""

    centres: dict[str, tuple[float, float]]
    radius_mm: float
    keep: float
    region: str


def _allowed(
    labels: NDArray[np.uint8], findings: NDArray[np.integer], clearance_px: float
) -> NDArray[np.bool_]:
    inside = ndimage.binary_erosion(_DEFECT_LABELS[labels], iterations=_EDGE_PX)
    near_finding = ndimage.distance_transform_edt(findings == 0) < clearance_px
    return np.asarray(inside & ~near_finding)


def _disc(shape: tuple[int, int], centre: tuple[float, float], radius_px: float) -> NDArray[np.bool_]:
    rows, columns = np.ogrid[: shape[0], : shape[1]]
    return np.asarray((rows - centre[0]) ** 2 + (columns - centre[1]) ** 2 <= radius_px**2)


def cut_defects(
    study: Study, maps: Mapping[str, NDArray[Any]], rng: np.random.Generator, count: int = DEFECTS_PER_SCAN
) -> tuple[Study, tuple[CutDefect, ...]]:
    """Cut ``count`` photopenic discs into both views of a simulated study.

    Parameters
    ----------
    study : Study
        A simulated study: an anterior and a posterior view of raw counts, stored upright.
    maps : Mapping
        Its simulator maps (``labels_anterior`` and ``findings_anterior`` are read).
    rng : numpy.random.Generator
        Draws the places, radii and kept shares.
    count : int
        How many discs.

    Returns
    -------
    tuple
        The study with the discs cut, and the discs (fewer when the bone has no room left).
    """
    front, back = study.view(ViewName.ANTERIOR), study.view(ViewName.POSTERIOR)
    if front is None or back is None:
        raise ValueError("a defect is cut into both views; the study lacks one")
    spacing = float(np.mean(front.pixel_spacing_mm))
    labels = np.asarray(maps["labels_anterior"])
    allowed = _allowed(labels, np.asarray(maps["findings_anterior"]), CLEARANCE_MM / spacing)
    counts = [np.asarray(view.counts, dtype=np.int64).copy() for view in (front, back)]
    defects = []
    for _ in range(count):
        rows, columns = np.nonzero(allowed)
        if rows.size == 0:
            break
        pick = int(rng.integers(rows.size))
        centre = (float(rows[pick]), float(columns[pick]))
        radius_mm, keep = float(rng.uniform(*RADIUS_MM)), float(rng.uniform(*KEEP))
        mirrored = (centre[0], front.shape[1] - 1 - centre[1])
        for image, where in zip(counts, (centre, mirrored), strict=True):
            disc = _disc(image.shape, where, radius_mm / spacing)
            image[disc] = rng.binomial(image[disc], keep)
        allowed &= ~_disc(allowed.shape, centre, (CLEARANCE_MM + 2 * radius_mm) / spacing)
        name = region_by_label(int(labels[rows[pick], columns[pick]])).name
        defects.append(CutDefect({"anterior": centre, "posterior": mirrored}, radius_mm, keep, name))
    views = tuple(
        replace(view, counts=image.astype(np.float32))
        for view, image in zip((front, back), counts, strict=True)
    )
    return replace(study, views=views), tuple(defects)


def _near(
    defect: CutDefect, view: str, row: float, column: float, spacings: Mapping[str, tuple[float, float]]
) -> bool:
    """Whether a cold hotspot at (row, column) of ``view`` lies within the defect's radius + margin."""
    centre = defect.centres.get(view)
    if centre is None:
        return False
    row_mm, column_mm = spacings[view]
    distance = math.hypot((row - centre[0]) * row_mm, (column - centre[1]) * column_mm)
    return distance <= defect.radius_mm + MARGIN_MM


def _found(defect: CutDefect, result: Mapping[str, Any], spacings: Mapping[str, tuple[float, float]]) -> bool:
    return any(
        hotspot.get("kind") == "cold"
        and _near(defect, str(hotspot.get("view")), hotspot["row"], hotspot["column"], spacings)
        for hotspot in result.get("hotspots") or []
    )


def _false_cold(result: Mapping[str, Any], truth: Mapping[str, Any], defects: tuple[CutDefect, ...]) -> int:
    spacings = view_spacings(result, truth)
    lesions, _ = truth_lesions(truth, spacings)
    cold_truths = [lesion for lesion in lesions if lesion.polarity in ("cold", "mixed")]
    false = 0
    for lesion in predicted_lesions(result):
        points = [point for point in lesion.points if point.kind == "cold"]
        if not points:
            continue
        near_defect = any(
            _near(defect, point.view, point.row, point.column, spacings)
            for defect in defects
            for point in points
        )
        near_truth = any(qualifying_distance(lesion, truth, spacings, MARGIN_MM) for truth in cold_truths)
        false += not (near_defect or near_truth)
    return false


@dataclass
class DefectsEvaluation:
    """Cut defects, whether each was found, and the false cold findings per scan."""

    cohort: str
    seed: int
    defects: list[tuple[CutDefect, bool]] = field(default_factory=list)
    false_cold: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the figures: share found overall, by kept share and by region, false cold per scan."""
        found = [hit for _, hit in self.defects]
        by_keep = {}
        for low, high in _KEEP_BINS:
            hits = [hit for defect, hit in self.defects if low <= defect.keep < high]
            by_keep[f"{low:.1f}-{high:.1f}"] = _share(hits)
        by_region: dict[str, list[bool]] = {}
        for defect, hit in self.defects:
            by_region.setdefault(defect.region, []).append(hit)
        scans = len(self.false_cold)
        return {
            "cohort": self.cohort,
            "seed": self.seed,
            "scans": scans,
            "defects": _share(found),
            "by_kept_share": by_keep,
            "by_region": {name: _share(hits) for name, hits in sorted(by_region.items())},
            "false_cold_per_scan": round(sum(self.false_cold) / scans, 4) if scans else None,
        }


def _share(hits: list[bool]) -> dict[str, Any]:
    return {
        "found": int(sum(hits)),
        "of": len(hits),
        "share": round(sum(hits) / len(hits), 4) if hits else None,
    }


def evaluate_defects(
    cohort: str | Path,
    analyze: Callable[[Study], Mapping[str, Any]],
    *,
    seed: int = 0,
    limit: int | None = None,
) -> DefectsEvaluation:
    """Cut defects into every baseline scan of a simulated cohort and score what the analysis reports.

    Parameters
    ----------
    cohort : str or Path
        Folder written by ``bonescan simulate`` (``case*/baseline.dcm`` with its truth and maps).
    analyze : callable
        Called with each study after the cut; returns its result (``result.json`` contract).
    seed : int
        Seeds the places, radii and kept shares (with the case's position in the cohort).
    limit : int or None
        Use the first ``limit`` cases (sorted by name) only.

    Returns
    -------
    DefectsEvaluation
        The defects with whether each was found, and the false cold findings of each scan.

    Raises
    ------
    InputError
        When the folder holds no simulated case, or a truth or maps file is missing or unreadable.
    """
    folder = Path(cohort)
    cases = sorted(p.parent for p in folder.glob("case*/baseline.dcm"))
    if not cases:
        raise InputError(folder, "no case*/baseline.dcm here; give a folder written by bonescan simulate")
    evaluation = DefectsEvaluation(cohort=str(folder), seed=seed)
    for index, case in enumerate(cases if limit is None else cases[: max(0, limit)]):
        scan = case / "baseline.dcm"
        truth = load_truth(scan)
        maps_path = case / "baseline.maps.npz"
        try:
            with np.load(maps_path) as loaded:
                maps = {name: loaded[name] for name in ("labels_anterior", "findings_anterior")}
        except (OSError, KeyError, ValueError) as error:
            raise InputError(maps_path, f"cannot read the simulator maps ({error})") from error
        study, defects = cut_defects(load_study(scan), maps, np.random.default_rng([seed, index]))
        result = analyze(study)
        spacings = view_spacings(result, truth)
        evaluation.defects.extend((defect, _found(defect, result, spacings)) for defect in defects)
        evaluation.false_cold.append(_false_cold(result, truth, defects))
    return evaluation
