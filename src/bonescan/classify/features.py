"""The numbers each finding is judged by: one feature vector per finding, with names a reader knows.

Every feature comes from the finding's most significant spot, from the finding as a whole (seen in one
view or both) or from the other findings of the study (rib spots lined up one above the other, how many
strong spots there are). Ratios enter as logarithms so that doubling means the same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from bonescan.detect.model import Finding, SpotKind

__all__ = ["FEATURE_NAMES", "REGION_GROUPS", "feature_matrix", "region_group", "ribs_in_line"]

#: Region groups with their own baseline likelihoods (the stems of the registry names).
REGION_GROUPS: dict[str, tuple[str, ...]] = {
    "skull": ("skull",),
    "face": ("facial_mandible",),
    "spine": ("cervical_spine", "thoracic_spine", "lumbar_spine", "sacrum"),
    "ribs": ("ribs",),
    "shoulder_girdle": ("sternum", "clavicle", "scapula"),
    "pelvis": ("pelvis",),
    "proximal_limbs": ("humerus_proximal", "femur_proximal"),
    "distal_limbs": ("humerus_distal", "forearm", "femur_distal", "tibia_fibula"),
    "hands_feet": ("hand", "foot"),
}

_BASE_FEATURES = (
    "log_local_contrast",
    "log_peak_ratio",
    "log_mean_ratio",
    "log_normal_ratio",
    "log_area_mm2",
    "log_significance",
    "bone_fraction",
    "log_reference_ratio",
    "near_joint",
    "near_joint_x_contrast",
    "log_elongation",
    "region_fraction",
    "both_views",
    "view_asymmetry",
    "cold",
    "ribs_in_line",
    "log_strong_spots",
    "log_contrast_over_peers",
    "log_broad_contrast",
    "log_other_view_contrast",
    "relative_row",
    "one_view_study",
)
FEATURE_NAMES: tuple[str, ...] = _BASE_FEATURES + tuple(f"region_{name}" for name in REGION_GROUPS)
_JOINT_SCALE_MM = 15.0
_RIB_LINE_ROWS_MM = 70.0
_RIB_LINE_COLUMNS_MM = 25.0
_STRONG_CONTRAST = 2.0


def region_group(name: str) -> str:
    """Return the group of region ``name`` (see :data:`REGION_GROUPS`)."""
    stem = name.removesuffix("_left").removesuffix("_right")
    for group, stems in REGION_GROUPS.items():
        if stem in stems:
            return group
    return "distal_limbs"


def _log(value: float) -> float:
    return math.log(max(value, 1e-3))


def ribs_in_line(finding: Finding, others: Sequence[Finding]) -> int:
    """Count the other rib findings of the same side lined up above or below this one (fractures)."""
    if region_group(finding.region) != "ribs":
        return 0
    spot = finding.main
    row, column = spot.centroid
    spacing_rows, spacing_columns = spot.pixel_spacing_mm
    count = 0
    for other in others:
        if other is finding or other.region != finding.region or spot.view not in other.spots:
            continue
        o_row, o_column = other.spots[spot.view].centroid
        lined_up = abs(o_column - column) * spacing_columns <= _RIB_LINE_COLUMNS_MM
        if lined_up and abs(o_row - row) * spacing_rows <= _RIB_LINE_ROWS_MM:
            count += 1
    return count


def _view_asymmetry(finding: Finding) -> float:
    values = [abs(spot.significance) for spot in finding.spots.values()]
    if len(values) < 2:
        return 0.0
    return abs(_log(values[0] + 1.0) - _log(values[1] + 1.0))


def _peer_contrast(finding: Finding, others: Sequence[Finding]) -> float:
    """Return the log of the spot's local contrast over the median of the other spots of its region."""
    spot = finding.main
    peers = [
        other.spots[spot.view].local_contrast
        for other in others
        if other is not finding and spot.view in other.spots and other.spots[spot.view].region == spot.region
    ]
    return _log(spot.local_contrast) - _log(float(np.median(peers))) if peers else 0.0


def _other_view_contrast(finding: Finding) -> float:
    """Return the log local contrast of the finding's spot in its other view (0 when single-view)."""
    others = [spot for spot in finding.spots.values() if spot is not finding.main]
    return _log(others[0].local_contrast) if others else 0.0


def _features(finding: Finding, others: Sequence[Finding], strong: int, view_count: int) -> list[float]:
    spot = finding.main
    near_joint = math.exp(-spot.measures.joint_distance_mm / _JOINT_SCALE_MM)
    group = region_group(finding.region)
    values = [
        _log(spot.local_contrast),
        _log(spot.peak_ratio),
        _log(spot.mean_ratio),
        _log(spot.normal_ratio),
        _log(spot.area_mm2),
        _log(abs(spot.significance) + 1.0),
        spot.bone_fraction,
        _log(spot.measures.reference_ratio),
        near_joint,
        near_joint * _log(spot.local_contrast),
        _log(spot.measures.elongation),
        min(spot.measures.region_fraction, 1.0),
        float(len(finding.spots) > 1),
        _view_asymmetry(finding),
        float(spot.kind is SpotKind.COLD),
        float(ribs_in_line(finding, others)),
        math.log1p(strong),
        _peer_contrast(finding, others),
        _log(spot.broad_contrast),
        _other_view_contrast(finding),
        spot.relative_row,
        float(view_count == 1),
    ]
    return values + [float(group == name) for name in REGION_GROUPS]


def feature_matrix(findings: Sequence[Finding], view_count: int = 2) -> NDArray[np.float64]:
    """Return one row of :data:`FEATURE_NAMES` per finding.

    Parameters
    ----------
    findings : sequence of Finding
        The findings of one study.
    view_count : int
        The number of views the study has. In a study of one view no finding is seen in both, which
        in a study of two means something else (urine on the front of a thigh shows in one view only).
    """
    strong = sum(1 for f in findings if f.kind is SpotKind.HOT and f.main.local_contrast >= _STRONG_CONTRAST)
    rows = [_features(finding, findings, strong, view_count) for finding in findings]
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURE_NAMES))
