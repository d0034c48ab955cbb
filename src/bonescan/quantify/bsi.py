"""The Bone Scan Index: the percentage of skeletal mass that tumour involves.

For every bone region ``r`` of the registry and every view ``v``, the involvement is the share of the
region's labelled pixels that lie in the cores of spots (their extent at half maximum,
:mod:`bonescan.detect.spots`) of findings judged malignant, each spot weighted by its
finding's metastasis probability (so that a doubtful spot counts for part of its area and the index
does not jump when a probability crosses a threshold). A region's involvement is the mean over the
views in which it is involved (so a lesion hidden in one view still counts fully, and one seen in both
is measured twice), capped at 1. The raw index is
``100 * sum_r mass_fraction(r) * involvement(r)`` with the skeletal mass fractions of
:mod:`bonescan.regions` (Imbriaco et al. 1998). Planar spots include the blur of the camera and
overlapping bone, so the raw index overstates the volume that tumour takes up; it is multiplied by a
calibration factor fitted on simulated patients whose true BSI is known (``training/train_findings.py``,
stored with the patient model).

A **super scan** spreads tumour through the axial skeleton without focal spots, and planar images do not
show how much of each bone it takes: the uptake is raised evenly. When the assessment sees a super scan,
every axial region (skull, spine, sacrum, sternum, ribs, pelvis, proximal humeri and femora) is given
at least ``diffuse_involvement``, the typical involvement of super scans in the training patients;
that part is not scaled by the calibration. The figure is an estimate of the extent, not a measurement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bonescan.anatomy.model import Anatomy
from bonescan.classify.judge import JudgedFinding
from bonescan.detect.model import Spot
from bonescan.regions import bone_regions, mass_fraction

__all__ = ["BoneScanIndex", "bone_scan_index", "region_involvement"]


@dataclass(frozen=True)
class BoneScanIndex:
    """The BSI with its parts.

    Attributes
    ----------
    percent : float
        The calibrated Bone Scan Index, percent of skeletal mass.
    raw_percent : float
        The index before calibration.
    involvement : dict of str to float
        Per involved bone region, the share of the region involved (0-1).
    region_percent : dict of str to float
        Per involved bone region, its contribution to the calibrated index (percent points).
    calibration : float
        The factor applied to the raw index.
    """

    percent: float
    raw_percent: float
    involvement: dict[str, float]
    region_percent: dict[str, float]
    calibration: float


def _spot_share(spot: Spot, labels: np.ndarray, areas: np.ndarray) -> dict[int, float]:
    rows, columns = spot.core_pixels
    values = np.bincount(labels[rows, columns], minlength=areas.size).astype(float)
    return {
        int(label): float(values[label] / areas[label])
        for label in np.flatnonzero(values)
        if areas[label] > 0
    }


def region_involvement(judged: Sequence[JudgedFinding], anatomy: Anatomy) -> dict[str, float]:
    """Return, per bone region, the probability-weighted share of it in malignant spots (0-1)."""
    bones = {entry.label: entry.name for entry in bone_regions()}
    per_view: dict[str, list[float]] = {}
    for view in anatomy.views:
        areas = np.bincount(view.labels.ravel(), minlength=256)
        shares: dict[int, float] = {}
        for item in judged:
            spot = item.finding.spots.get(view.view)
            if spot is None or item.label in ("physiological", "artefact"):
                continue
            for label, share in _spot_share(spot, view.labels, areas).items():
                shares[label] = shares.get(label, 0.0) + item.metastasis_probability * share
        for label, share in shares.items():
            if label in bones and share > 0:
                per_view.setdefault(bones[label], []).append(min(share, 1.0))
    return {name: float(np.mean(values)) for name, values in per_view.items()}


def bone_scan_index(
    judged: Sequence[JudgedFinding],
    anatomy: Anatomy,
    calibration: float = 1.0,
    diffuse_involvement: float | None = None,
) -> BoneScanIndex:
    """Return the Bone Scan Index of a study from its judged findings and its anatomy.

    Parameters
    ----------
    judged : sequence of JudgedFinding
        The judged findings.
    anatomy : Anatomy
        The region labels of each view.
    calibration : float
        The factor from raw to calibrated index (see the module text).
    diffuse_involvement : float, optional
        For a super scan: the involvement given to every axial region (see the module text).
    """
    involvement = region_involvement(judged, anatomy)
    focal = {name: 100.0 * mass_fraction(name) * share for name, share in involvement.items()}
    raw = float(sum(focal.values()))
    region_percent = {name: calibration * value for name, value in focal.items()}
    if diffuse_involvement is not None:
        for entry in bone_regions():
            diffuse = 100.0 * mass_fraction(entry.name) * diffuse_involvement
            if entry.axial and diffuse > region_percent.get(entry.name, 0.0):
                region_percent[entry.name] = diffuse
                involvement[entry.name] = max(involvement.get(entry.name, 0.0), diffuse_involvement)
    return BoneScanIndex(
        percent=float(sum(region_percent.values())),
        raw_percent=raw,
        involvement=involvement,
        region_percent=region_percent,
        calibration=calibration,
    )
