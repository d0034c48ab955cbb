"""Pair the spots of the anterior and the posterior view that show the same lesion.

Both views are upright; the posterior view is not mirrored, so the patient's left lies on the image
right in the anterior view and on the image left in the posterior view. A spot's lateral position is
measured from the body's midline in its own view, towards the patient's left; two spots of the same
kind pair when their rows (in mm from the top of the body) and lateral positions both lie within
:data:`PAIRING_DISTANCE_MM`, closest pairs first, each spot at most once. Spots of different organs do
not pair, except that extreme activity away from the bladder in one view
(:data:`~bonescan.detect.model.URINE`) pairs with a plain hot spot in the other, within the radius of
the larger of the two if that is wider, and the plain spot then counts as the same urine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bonescan._body import BodyExtent
from bonescan.detect.model import URINE, Finding, Spot
from bonescan.study import ImageSide, View, ViewName

__all__ = ["PAIRING_DISTANCE_MM", "pair_spots"]

PAIRING_DISTANCE_MM = 30.0


@dataclass(frozen=True)
class _Frame:
    """Where a view's body starts and where its midline lies, to compare positions across views."""

    top: float
    midline: float
    spacing: tuple[float, float]
    left_sign: float

    def position_mm(self, spot: Spot) -> tuple[float, float]:
        row, column = spot.centroid
        return (row - self.top) * self.spacing[0], self.left_sign * (column - self.midline) * self.spacing[1]


def _frame(view: View, body: NDArray[np.bool_]) -> _Frame:
    extent = BodyExtent(body)
    sign = 1.0 if view.orientation.patient_left is ImageSide.RIGHT else -1.0
    return _Frame(float(max(extent.top, 0)), extent.midline, view.pixel_spacing_mm, sign)


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(abs(a[0] - b[0]), abs(a[1] - b[1]))


def _same_organ(front: Spot, back: Spot) -> bool:
    """Whether two spots may show the same thing: the same organ, or urine in one view only.

    A collection bag on the front of a leg is extreme in the anterior view but, seen through the
    leg, only a hot spot in the posterior one.
    """
    return front.organ == back.organ or (
        URINE in (front.organ, back.organ) and None in (front.organ, back.organ)
    )


def _reach_mm(front: Spot, back: Spot) -> float:
    """Return how far apart two spots may lie: wider for urine, whose blob is large and blurred."""
    if URINE not in (front.organ, back.organ):
        return PAIRING_DISTANCE_MM
    return max(PAIRING_DISTANCE_MM, math.sqrt(max(front.area_mm2, back.area_mm2) / math.pi))


def _candidate_pairs(
    anterior: list[Spot], posterior: list[Spot], frames: dict[ViewName, _Frame]
) -> list[tuple[float, int, int]]:
    pairs = []
    behind = [frames[ViewName.POSTERIOR].position_mm(back) for back in posterior]
    for i, front in enumerate(anterior):
        a = frames[ViewName.ANTERIOR].position_mm(front)
        for j, back in enumerate(posterior):
            if back.kind is not front.kind or not _same_organ(front, back):
                continue  # the bladder in one view is not the sacral lesion beside it in the other
            distance = _distance(a, behind[j])
            if distance <= _reach_mm(front, back):
                pairs.append((distance, i, j))
    return sorted(pairs)


def pair_spots(
    spots: dict[ViewName, list[Spot]], views: dict[ViewName, View], bodies: dict[ViewName, NDArray[np.bool_]]
) -> list[Finding]:
    """Group the spots of all views into findings, one per lesion, numbered top to bottom.

    Parameters
    ----------
    spots : dict of ViewName to list of Spot
        The spots of each view.
    views : dict of ViewName to View
        The views (for spacing and orientation).
    bodies : dict of ViewName to ndarray of bool
        The body outline of each view.

    Returns
    -------
    list of Finding
        Findings with one spot per view that shows them.
    """
    groups: list[dict[ViewName, Spot]] = []
    anterior = spots.get(ViewName.ANTERIOR, [])
    posterior = spots.get(ViewName.POSTERIOR, [])
    used_a: set[int] = set()
    used_p: set[int] = set()
    if anterior and posterior:
        frames = {name: _frame(views[name], bodies[name]) for name in (ViewName.ANTERIOR, ViewName.POSTERIOR)}
        for _, i, j in _candidate_pairs(anterior, posterior, frames):
            if i not in used_a and j not in used_p:
                used_a.add(i)
                used_p.add(j)
                front, back = anterior[i], posterior[j]
                if URINE in (front.organ, back.organ):
                    front, back = front.as_urine(), back.as_urine()
                groups.append({ViewName.ANTERIOR: front, ViewName.POSTERIOR: back})
    groups += [{ViewName.ANTERIOR: s} for i, s in enumerate(anterior) if i not in used_a]
    groups += [{ViewName.POSTERIOR: s} for j, s in enumerate(posterior) if j not in used_p]
    groups.sort(key=lambda group: min(spot.centroid[0] for spot in group.values()) if group else math.inf)
    return [Finding(number, group) for number, group in enumerate(groups, start=1)]
