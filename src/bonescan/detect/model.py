"""What detection returns: spots in each view, paired into findings."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from bonescan.detect.measure import SpotMeasures
from bonescan.study import ViewName

__all__ = ["ORGAN_SHARE", "URINE", "Finding", "Findings", "Spot", "SpotKind", "UptakeReference"]


#: Share of a spot's pixels that must lie in an organ's label for the spot to count as that organ's.
ORGAN_SHARE = 0.3
#: The ``organ`` of a spot of extreme activity away from the bladder (:mod:`bonescan.anatomy.urine`).
URINE = "urine"


class SpotKind(StrEnum):
    """Whether a spot takes up more tracer than normal for its bone, or less."""

    HOT = "hot"
    COLD = "cold"


@dataclass(frozen=True)
class UptakeReference:
    """What normal uptake looks like in one view, in smoothed counts per pixel.

    Attributes
    ----------
    view : ViewName
        The view.
    normal_bone : float
        The level of normal bone over the whole skeleton (lesions, bladder and kidneys excluded).
    soft_tissue : float
        The level of soft tissue away from bone.
    region_levels : dict of str to float
        Per bone region, its own normal level (a lesion-robust percentile of its pixels).
    kidneys : float or None
        The median level of the pixels labelled kidney away from bone, when the view has enough of them
        (faint kidneys beside bright bone are a sign of a super scan).
    beside_kidneys : float or None
        The level of the soft tissue beside the kidneys (in their rows, away from bone and kidney), when
        measured; the kidneys' own activity is what they show above it.
    """

    view: ViewName
    normal_bone: float
    soft_tissue: float
    region_levels: dict[str, float] = field(default_factory=dict)
    kidneys: float | None = None
    beside_kidneys: float | None = None

    @property
    def bone_to_soft_tissue(self) -> float:
        """The ratio of normal bone to soft tissue (high in a super scan and late imaging)."""
        return self.normal_bone / max(self.soft_tissue, 1e-6)

    @property
    def kidney_to_bone(self) -> float | None:
        """The kidneys' activity over that of normal bone (low in a super scan), or None when not measured.

        Each is taken above its soft-tissue background: ``(kidneys - beside_kidneys) / (normal_bone -
        soft_tissue)``, so that soft tissue seen through the kidneys does not hide how faint they are.
        Near 0 (or below) when the kidneys are not seen at all.
        """
        if self.kidneys is None:
            return None
        beside = self.soft_tissue if self.beside_kidneys is None else self.beside_kidneys
        return (self.kidneys - beside) / max(self.normal_bone - self.soft_tissue, 1e-6)


@dataclass(frozen=True, eq=False)
class Spot:
    """One hot or cold spot in one view, in that view's upright grid.

    Attributes
    ----------
    view : ViewName
        The view it was found in.
    kind : SpotKind
        Hot or cold.
    rows, columns : ndarray of int
        Its pixels (upright grid).
    region : str
        The registry region it lies in (the bone under its peak, or the nearest bone).
    area_mm2 : float
        Its area.
    peak_ratio, mean_ratio : float
        Uptake over the normal level for its region, at the extreme pixel and on average.
    significance : float
        How many Poisson standard deviations its counts lie above (hot) or below (cold) normal.
    bone_fraction : float
        Share of its pixels on bone.
    normal_ratio : float
        Mean uptake over the normal bone level of the whole skeleton (not of its region).
    local_contrast : float
        Peak uptake over the local background of the bone around it (hot spots; 1.0 for cold).
    broad_contrast : float
        Peak uptake over the broad background (lines of twice the length; 1.0 for cold spots).
    relative_row : float
        Its centre's row from the top (0) to the bottom (1) of the body.
    measures : SpotMeasures
        Symmetry, joint distance, shape and extent (:mod:`bonescan.detect.measure`).
    pixel_spacing_mm : tuple of float
        The view's pixel spacing (row, column).
    organ : str or None
        :data:`URINE` for extreme activity away from the bladder (a collection bag, contamination), or
        the organ (bladder, kidney) under its extreme pixel that holds at least :data:`ORGAN_SHARE`
        of its pixels, if any.
    patch : ndarray of float32 or None
        The image around it for the classifier (:func:`bonescan.detect.patches.spot_patch`).
    core : ndarray of bool or None
        Per pixel (in the order of ``rows``), whether it is in the spot's core: for a hot spot, the
        pixels whose excess over the local background is at least half the peak's (its extent at half
        maximum, which the Bone Scan Index counts). None: every pixel is core.
    """

    view: ViewName
    kind: SpotKind
    rows: NDArray[np.intp]
    columns: NDArray[np.intp]
    region: str
    area_mm2: float
    peak_ratio: float
    mean_ratio: float
    significance: float
    bone_fraction: float
    normal_ratio: float
    local_contrast: float
    broad_contrast: float
    relative_row: float
    measures: SpotMeasures
    pixel_spacing_mm: tuple[float, float]
    organ: str | None = None
    patch: NDArray[np.float32] | None = None
    core: NDArray[np.bool_] | None = None

    @cached_property
    def centroid(self) -> tuple[float, float]:
        """The centre of the spot, (row, column), upright grid."""
        return float(self.rows.mean()), float(self.columns.mean())

    @property
    def core_pixels(self) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """The rows and columns of its core pixels (see :attr:`core`)."""
        if self.core is None:
            return self.rows, self.columns
        return self.rows[self.core], self.columns[self.core]

    def as_urine(self) -> Spot:
        """Return this spot as extreme activity away from the bladder: organ :data:`URINE`, soft tissue."""
        return self if self.organ == URINE else replace(self, region="soft_tissue", organ=URINE)

    def mask(self, shape: tuple[int, int]) -> NDArray[np.bool_]:
        """Return the spot as a mask of the view's shape."""
        out = np.zeros(shape, dtype=bool)
        out[self.rows, self.columns] = True
        return out


@dataclass(frozen=True, eq=False)
class Finding:
    """One lesion or uptake, with its spot in each view that shows it.

    Attributes
    ----------
    number : int
        1-based number, in reading order (top to bottom).
    spots : dict of ViewName to Spot
        The spot in each view where it was found.
    """

    number: int
    spots: dict[ViewName, Spot]

    @property
    def kind(self) -> SpotKind:
        """Hot or cold."""
        return next(iter(self.spots.values())).kind

    @cached_property
    def main(self) -> Spot:
        """The spot that stands out most (highest significance); found once, its spots being fixed."""
        return max(self.spots.values(), key=lambda spot: abs(spot.significance))

    @property
    def region(self) -> str:
        """The region of its most significant spot."""
        return self.main.region


@dataclass(frozen=True)
class Findings:
    """Every finding of a study with the uptake references they were judged against."""

    findings: tuple[Finding, ...]
    references: dict[ViewName, UptakeReference]
