"""Two views side by side in one image: found, and told apart.

Workstations often export a whole-body study as one picture (a PNG, or one Secondary Capture frame)
holding both views as they display them, upright, the posterior as seen from behind, usually the
anterior view on the left. Read as one view, such a frame would give a reading of nonsense. A frame
holds two views when its body outline (:func:`bonescan._body.body_mask`) lies in two runs of columns
with only background between them, each run spanning at least :data:`MIN_HEIGHT_FRACTION` of the
frame's rows (a whole body, not a marker, a label or a collection bag) and at least
:data:`MIN_WIDTH_FRACTION` of its own height (not a tube or a ruler); it is cut at the middle of the
background between the two (:func:`view_columns`). A frame of three or more bodies is refused.

Which part is which view is read from the spine: the lower thoracic and upper lumbar spine lie just
under the skin of the back and some 10 cm behind the front of the abdomen, so a posterior view shows
them much brighter against the trunk around them than an anterior view does
(:func:`spine_prominence`). The band of rows was chosen on development seeds 5110 and 5111, whose 400
simulated patients' posterior views all stand out more, by a factor of 1.32 at least and 1.70 at the
median; on development seed 5112 and held-out seed 7143, 399 of 400 stand out more by the deciding
margin and one does not (0.95). The part whose spine stands out more by a factor of
``exp(DECISIVE_LOG_RATIO)`` is the posterior view; otherwise the display convention (anterior on the
left) decides. A warning says which part was taken for which view and why. A header's
PatientOrientation and CountsAccumulated describe the whole frame, so neither is used for the parts.
The cutting is :func:`bonescan.io.assemble.cut_side_by_side`; the parts are assumed upright when the
spine is measured.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from bonescan._body import body_mask, smoothed

__all__ = [
    "DECISIVE_LOG_RATIO",
    "MIN_HEIGHT_FRACTION",
    "MIN_WIDTH_FRACTION",
    "spine_prominence",
    "view_columns",
]

#: A body spans at least this share of the frame's rows.
MIN_HEIGHT_FRACTION = 0.6
#: A body is at least this many times as wide as it is tall.
MIN_WIDTH_FRACTION = 0.1
#: Natural log of the ratio of two parts' spine prominences from which it decides their views.
DECISIVE_LOG_RATIO = 0.1
_SPINE_BAND = (0.30, 0.37)  # rows, as shares of the body's height from its top: T10 to L2 or so
_SPINE_HALF_WIDTH = 0.04  # of the body's width in the band, either side of its middle
_SMOOTHING_PX = 2.0


def _column_runs(occupied: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Return the runs of True in ``occupied`` as (first, stop) pairs."""
    edges = np.diff(np.concatenate([[0], occupied.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(start), int(stop)) for start, stop in zip(starts, stops, strict=True)]


def _is_whole_body(body: NDArray[np.bool_], first: int, stop: int) -> bool:
    rows = np.flatnonzero(body[:, first:stop].any(axis=1))
    height = int(rows[-1] - rows[0] + 1) if rows.size else 0
    return height >= MIN_HEIGHT_FRACTION * body.shape[0] and stop - first >= MIN_WIDTH_FRACTION * height


def view_columns(pixels: NDArray[np.floating]) -> list[slice]:
    """Return the columns of each view a frame holds, left to right.

    Parameters
    ----------
    pixels : ndarray
        One frame, as stored.

    Returns
    -------
    list of slice
        One slice per whole body found side by side, together the whole frame, cut at the middles of
        the background between them; a single slice (the whole frame) when it holds one body or none.
    """
    body = body_mask(pixels)
    occupied: NDArray[np.bool_] = np.asarray(body.any(axis=0))
    runs = [run for run in _column_runs(occupied) if _is_whole_body(body, *run)]
    cuts = [(left[1] + right[0]) // 2 for left, right in pairwise(runs)]
    edges = [0, *cuts, body.shape[1]]
    return [slice(first, stop) for first, stop in pairwise(edges)]


def spine_prominence(pixels: NDArray[np.floating]) -> float | None:
    """Return how much the spine stands out from the trunk below the chest of an upright view.

    In the rows :data:`_SPINE_BAND` of the body's height from its top, the mean of the smoothed
    values within :data:`_SPINE_HALF_WIDTH` of the body's width either side of the body's middle
    column, over the median of the body's smoothed values there. None when the view has no such band.
    """
    body = body_mask(pixels)
    rows = np.flatnonzero(body.any(axis=1))
    if rows.size == 0:
        return None
    height = int(rows[-1] - rows[0])
    band = slice(int(rows[0] + _SPINE_BAND[0] * height), int(rows[0] + _SPINE_BAND[1] * height))
    inside = body[band]
    if not inside.any():
        return None
    smooth = smoothed(pixels, _SMOOTHING_PX)[band]
    columns = np.nonzero(inside)[1]
    middle = int(np.median(columns))
    reach = max(int(_SPINE_HALF_WIDTH * (columns.max() - columns.min())), 1)
    trunk = float(np.median(smooth[inside]))
    return float(smooth[:, max(middle - reach, 0) : middle + reach + 1].mean()) / trunk if trunk > 0 else None
