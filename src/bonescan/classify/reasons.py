"""The reasons behind a judgement, in a reader's words, from the finding's own measurements.

Each reason states a measurement a reader can check on the image (where, how intense, how symmetric,
at a joint or not, its shape and extent, its neighbours), with the figure in brackets.
"""

from __future__ import annotations

from collections.abc import Sequence

from bonescan.classify.features import region_group, ribs_in_line
from bonescan.detect.model import Finding, Spot, SpotKind
from bonescan.regions import Laterality, region

__all__ = ["AT_JOINT_MM", "joint_words", "reasons_for", "region_words"]

_SYMMETRIC = 1.25
_ASYMMETRIC = 1.6
AT_JOINT_MM = 15.0
_ELONGATED = 2.5
_WHOLE_BONE = 0.5
_OFF_BONE = 0.5


def region_words(name: str) -> str:
    """Return a region name as words: ``femur_proximal_left`` -> ``left proximal femur``."""
    entry = region(name)
    stem = name.removesuffix("_left").removesuffix("_right")
    words = {
        "humerus_proximal": "proximal humerus",
        "humerus_distal": "distal humerus",
        "femur_proximal": "proximal femur",
        "femur_distal": "distal femur",
        "tibia_fibula": "tibia and fibula",
        "facial_mandible": "facial bones and mandible",
        "ribs": "ribs",
    }.get(stem, stem.replace("_", " "))
    if entry.laterality is Laterality.MIDLINE:
        return words
    return f"{entry.laterality.value} {words}"


def joint_words(spot: Spot) -> str:
    """Return the joint nearest to ``spot`` with its side, e.g. ``left knee``."""
    joint = spot.measures.nearest_joint or "joint"
    side = region(spot.region).laterality
    return joint if side is Laterality.MIDLINE or joint == "joint" else f"{side.value} {joint}"


def _where(spot: Spot) -> str:
    part = (
        "axial skeleton, where most metastases lie" if region(spot.region).axial else "appendicular skeleton"
    )
    return f"in the {region_words(spot.region)} ({part})"


def _intensity(spot: Spot) -> str:
    if spot.kind is SpotKind.COLD:
        return f"photopenic: uptake {spot.peak_ratio:.0%} of normal for this bone"
    return (
        f"uptake {spot.local_contrast:.1f}x the bone around it ({spot.peak_ratio:.1f}x normal for this bone)"
    )


def _symmetry(spot: Spot) -> str | None:
    ratio = spot.measures.reference_ratio
    midline = region(spot.region).laterality is Laterality.MIDLINE
    other = "the bone just above and below" if midline else "the same place on the other side"
    if ratio <= _SYMMETRIC:
        return f"similar uptake in {other} (ratio {ratio:.2f})"
    if ratio >= _ASYMMETRIC:
        return f"{ratio:.1f}x the uptake of {other}"
    return None


def _shape(spot: Spot) -> list[str]:
    out = []
    if spot.measures.joint_distance_mm <= AT_JOINT_MM:
        out.append(f"at the {joint_words(spot)} ({spot.measures.joint_distance_mm:.0f} mm away)")
    if spot.measures.region_fraction >= _WHOLE_BONE:
        out.append(f"involves {min(spot.measures.region_fraction, 1.0):.0%} of the bone in this view")
    if spot.measures.elongation >= _ELONGATED:
        out.append(f"elongated (axes {spot.measures.elongation:.1f}:1)")
    if spot.bone_fraction < _OFF_BONE:
        out.append(f"mostly outside bone ({1 - spot.bone_fraction:.0%} of it in soft tissue)")
    return out


def _context(finding: Finding, findings: Sequence[Finding]) -> list[str]:
    out = []
    views = sorted(view.value for view in finding.spots)
    out.append("seen in both views" if len(views) > 1 else f"seen in the {views[0]} view only")
    spot = finding.main
    lined = ribs_in_line(finding, findings)
    if lined:
        out.append(f"lined up with {lined} other spot(s) on the same ribs: the pattern of fractures")
    if region_group(spot.region) == "hands_feet":
        out.append("in the hands or feet, where metastases are rare except from lung cancer")
    return out


def reasons_for(finding: Finding, label: str, findings: Sequence[Finding]) -> tuple[str, ...]:
    """Return the reasons behind ``label`` for ``finding`` (``findings``: all findings of the study)."""
    spot = finding.main
    reasons = [_where(spot), _intensity(spot)]
    symmetry = _symmetry(spot)
    if symmetry:
        reasons.append(symmetry)
    reasons += _shape(spot)
    reasons += _context(finding, findings)
    reasons.append(
        f"area {spot.area_mm2:.0f} mm2, {abs(spot.significance):.0f} standard deviations from normal"
    )
    return tuple(reasons)
