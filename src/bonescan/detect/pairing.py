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


def _candidate_pairs(
    anterior: list[Spot], posterior: list[Spot], frames: dict[ViewName, _Frame]
) -> list[tuple[float, int, int]]:
    """Return (distance, anterior index, posterior index) of the pairs that may show one lesion.

    Closest first, ties by the indices. The distance is the larger of the two offsets (rows and
    lateral position, mm); a pair is kept within its reach (:func:`_reaches_mm`) when its spots may
    show the same thing (:func:`_may_pair`). All pairs are weighed at once.
    """
    front = np.array([frames[ViewName.ANTERIOR].position_mm(spot) for spot in anterior]).reshape(-1, 2)
    back = np.array([frames[ViewName.POSTERIOR].position_mm(spot) for spot in posterior]).reshape(-1, 2)
    distance = np.maximum(
        np.abs(front[:, None, 0] - back[None, :, 0]), np.abs(front[:, None, 1] - back[None, :, 1])
    )
    near = _may_pair(anterior, posterior) & (distance <= _reaches_mm(anterior, posterior))
    first, second = np.nonzero(near)
    order = np.lexsort((second, first, distance[first, second]))
    return [(float(distance[i, j]), int(i), int(j)) for i, j in zip(first[order], second[order], strict=True)]


def _may_pair(anterior: list[Spot], posterior: list[Spot]) -> NDArray[np.bool_]:
    """Return, per pair, whether the two spots may show the same thing.

    They must be of one kind (the bladder in one view is not the sacral lesion beside it in the
    other) and show the same organ, or urine in one view only: a collection bag on the front of a leg
    is extreme in the anterior view but, seen through the leg, only a hot spot in the posterior one.
    """
    kinds = {kind: code for code, kind in enumerate({spot.kind for spot in anterior + posterior})}
    organs = {organ: code for code, organ in enumerate({spot.organ for spot in anterior + posterior})}
    front_kind, back_kind = (
        np.array([kinds[spot.kind] for spot in side], int) for side in (anterior, posterior)
    )
    front, back = (np.array([organs[spot.organ] for spot in side], int) for side in (anterior, posterior))
    urine, none = organs.get(URINE, -1), organs.get(None, -1)
    urine_in_one = ((front == urine)[:, None] & (back == none)[None, :]) | (
        (front == none)[:, None] & (back == urine)[None, :]
    )
    same_organ = (front[:, None] == back[None, :]) | urine_in_one
    return np.asarray((front_kind[:, None] == back_kind[None, :]) & same_organ)


def _reaches_mm(anterior: list[Spot], posterior: list[Spot]) -> NDArray[np.float64]:
    """Return, per pair, how far apart its spots may lie: wider for urine, whose blob is large and blurred.

    :data:`PAIRING_DISTANCE_MM`, or with urine in either view the radius of the larger spot if wider.
    """
    front_urine, back_urine = (
        np.array([spot.organ == URINE for spot in side], bool) for side in (anterior, posterior)
    )
    front_area, back_area = (
        np.array([spot.area_mm2 for spot in side], float) for side in (anterior, posterior)
    )
    radius = np.sqrt(np.maximum(front_area[:, None], back_area[None, :]) / math.pi)
    urine = front_urine[:, None] | back_urine[None, :]
    return np.where(urine, np.maximum(PAIRING_DISTANCE_MM, radius), PAIRING_DISTANCE_MM)


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
