"""What :func:`~bonescan.anatomy.segment` returns: region labels, body outline and landmarks."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from bonescan.anatomy.landmarks import Landmarks
from bonescan.regions import region
from bonescan.study import ViewName

__all__ = ["Anatomy", "RegionStatus", "ViewAnatomy"]


@dataclass(frozen=True)
class RegionStatus:
    """How sure the labelling of one region in one view is, or why it is missing.

    Attributes
    ----------
    confidence : float
        Mean network probability of the region's pixels (0 when missing).
    area_px : int
        Pixels labelled with the region.
    missing_reason : str or None
        Why the region is not labelled (cut off, outside the field, not found), or None.
    """

    confidence: float
    area_px: int
    missing_reason: str | None = None


@dataclass(frozen=True, eq=False)
class ViewAnatomy:
    """The anatomy of one view, in that view's upright grid.

    Attributes
    ----------
    view : ViewName
        The view.
    labels : ndarray of uint8
        Region registry labels (see :mod:`bonescan.regions`), same shape as the view.
    body : ndarray of bool
        The body outline.
    landmarks : Landmarks
        Key rows (vertex, neck, shoulders, iliac crests, crotch, knees, soles).
    regions : dict of str to RegionStatus
        Per bone or organ region: confidence, area, or why it is missing.
    urine : ndarray of bool or None
        Extreme activity away from the bladder (:mod:`bonescan.anatomy.urine`): a catheter's
        collection bag, urine contamination, tracer outside a vein; None when there is none.
    """

    view: ViewName
    labels: NDArray[np.uint8]
    body: NDArray[np.bool_]
    landmarks: Landmarks
    regions: dict[str, RegionStatus] = field(default_factory=dict)
    urine: NDArray[np.bool_] | None = None

    def mask(self, name: str) -> NDArray[np.bool_]:
        """Return the pixels labelled with region ``name``."""
        return np.asarray(self.labels == region(name).label)

    @property
    def missing(self) -> dict[str, str]:
        """The bone regions not found, with the reason."""
        return {
            name: status.missing_reason
            for name, status in self.regions.items()
            if status.missing_reason is not None
        }


@dataclass(frozen=True)
class Anatomy:
    """Region labels of every view of a study, and how they were made."""

    views: tuple[ViewAnatomy, ...]
    method: str

    def view(self, name: ViewName | str) -> ViewAnatomy | None:
        """Return the anatomy of view ``name``, or None when the study lacks it."""
        wanted = ViewName(name)
        return next((view for view in self.views if view.view is wanted), None)
