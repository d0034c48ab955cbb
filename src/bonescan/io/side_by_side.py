"""Two views side by side in one image: found, and told apart.

Workstations often export a whole-body study as one picture (a PNG, or one Secondary Capture frame)
holding both views as they display them, upright, the posterior as seen from behind, usually the
anterior view on the left. Read as one view, such a frame would give a reading of nonsense. A frame
holds two views when its body outline (:func:`bonescan._body.body_mask`), without the pieces shorter
than :data:`MIN_PIECE_FRACTION` of its rows (burned-in text, a banner across the top, a marker), lies
in two runs of columns with only background between them, each run spanning at least
:data:`MIN_HEIGHT_FRACTION` of the frame's rows (a whole body, not a collection bag) and at least
:data:`MIN_WIDTH_FRACTION` of its own height wide (not a tube or a ruler); it is cut at the middle of
the background between the two (:func:`view_columns`). Where the two outlines touch (an export
without a margin, the hands of one view against those of the other), one run of columns is wider
than :data:`MAX_ONE_BODY_WIDTH` of its height and shows separate tops (two heads, or two pairs of
shoulders when the heads are cut off) over the first :data:`TOP_BAND_FRACTION` of its height: it is
cut where the arms of the two bodies meet: within :data:`CUT_WINDOW_FRACTION` of the distance
between the two tops either side of the middle between them, at the least occupied column (the
fewest outline pixels), or, of the columns within :data:`CUT_TOLERANCE` of the body's height of it
(a faint view's outline, broken into pieces, is thin everywhere there), the one nearest the middle.
A frame of three or more bodies is refused.

Which part is which view is read from the spine (:mod:`bonescan._spine`): the part whose spine below
the chest stands out more against the trunk, by the deciding margin, is the posterior view; otherwise
the display convention (anterior on the left) decides. A warning says which part was taken for which
view and why. A header's PatientOrientation and CountsAccumulated describe the whole frame, so neither
is used for the parts.
The cutting is :func:`bonescan.io.assemble.cut_side_by_side`; the parts are assumed upright when the
spine is measured.
"""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from bonescan._body import body_mask

__all__ = [
    "CUT_TOLERANCE",
    "CUT_WINDOW_FRACTION",
    "MAX_ONE_BODY_WIDTH",
    "MIN_HEIGHT_FRACTION",
    "MIN_PIECE_FRACTION",
    "MIN_WIDTH_FRACTION",
    "TOP_BAND_FRACTION",
    "view_columns",
]

#: A body spans at least this share of the frame's rows.
MIN_HEIGHT_FRACTION = 0.6
#: A body is at least this many times as wide as it is tall.
MIN_WIDTH_FRACTION = 0.1
#: Pieces of the outline shorter than this share of the frame's rows are left out.
MIN_PIECE_FRACTION = 0.05
#: One body, arms at its sides, is at most this many times as wide as it is tall (simulated views
#: 0.34 at most, the real scan NM1 0.31; two touching bodies 0.51-0.62).
MAX_ONE_BODY_WIDTH = 0.4
#: The top of a body: this share of its height, from its first row.
TOP_BAND_FRACTION = 0.1
#: Touching bodies are cut within this share of the distance between their tops from the middle.
CUT_WINDOW_FRACTION = 0.15
#: Columns within this share of the body's height of the least occupied one are as good a cut.
CUT_TOLERANCE = 0.02


def _tall_pieces(body: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Return the outline without its pieces shorter than :data:`MIN_PIECE_FRACTION` of the rows.

    Burned-in text (a banner across the top) and markers are short; a body, even one an 8-bit export
    breaks into its bones, keeps tall pieces (the spine, the femora).
    """
    labelled, _ = ndimage.label(body)
    tall = [
        index
        for index, (rows, _) in enumerate(ndimage.find_objects(labelled), start=1)
        if rows.stop - rows.start >= MIN_PIECE_FRACTION * body.shape[0]
    ]
    return np.isin(labelled, tall)


def _column_runs(occupied: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Return the runs of True in ``occupied`` as (first, stop) pairs."""
    edges = np.diff(np.concatenate([[0], occupied.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(start), int(stop)) for start, stop in zip(starts, stops, strict=True)]


def _is_whole_body(body: NDArray[np.bool_], first: int, stop: int) -> bool:
    rows = np.flatnonzero(body[:, first:stop].any(axis=1))
    height = int(rows[-1] - rows[0] + 1) if rows.size else 0
    return height >= MIN_HEIGHT_FRACTION * body.shape[0] and stop - first >= MIN_WIDTH_FRACTION * height


def _cut_between(body: NDArray[np.bool_], left: float, right: float, height: int) -> int:
    """Return the column where the arms of two touching bodies meet (see the module notes).

    ``left`` and ``right`` are the columns of the middles of their tops.
    """
    middle, reach = (left + right) / 2, CUT_WINDOW_FRACTION * (right - left)
    columns = np.arange(math.ceil(middle - reach), math.floor(middle + reach) + 1)
    occupancy = body[:, columns].sum(axis=0)
    least = columns[occupancy <= occupancy.min() + CUT_TOLERANCE * height]
    return int(least[np.argmin(np.abs(least - middle))])  # of the nearly least, the nearest the middle


def _touching_cuts(body: NDArray[np.bool_], first: int, stop: int) -> list[int]:
    """Return the columns between the bodies whose outlines touch within ``first:stop``.

    None (an empty list: one body) when the run is narrow enough for one body, or its top does not
    show separate pieces, or a part between the cuts would not be a whole body.
    """
    rows = np.flatnonzero(body[:, first:stop].any(axis=1))
    height = int(rows[-1] - rows[0] + 1)
    if stop - first <= MAX_ONE_BODY_WIDTH * height:
        return []
    band = body[rows[0] : rows[0] + max(round(TOP_BAND_FRACTION * height), 1), first:stop]
    tops = [first + (start + end - 1) / 2 for start, end in _column_runs(np.asarray(band.any(axis=0)))]
    if len(tops) < 2:
        return []
    cuts = [_cut_between(body, left, right, height) for left, right in pairwise(tops)]
    edges = [first, *cuts, stop]
    return cuts if all(_is_whole_body(body, *part) for part in pairwise(edges)) else []


def _split_touching(body: NDArray[np.bool_], runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return ``runs`` with each run holding touching bodies split at the columns between them."""
    split: list[tuple[int, int]] = []
    for first, stop in runs:
        split += list(pairwise([first, *_touching_cuts(body, first, stop), stop]))
    return split


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
        the background between them (where two bodies touch, at the column between them); a single
        slice (the whole frame) when it holds one body or none.
    """
    body = _tall_pieces(body_mask(pixels))
    occupied: NDArray[np.bool_] = np.asarray(body.any(axis=0))
    runs = _split_touching(body, [run for run in _column_runs(occupied) if _is_whole_body(body, *run)])
    cuts = [(left[1] + right[0]) // 2 for left, right in pairwise(runs)]
    edges = [0, *cuts, body.shape[1]]
    return [slice(first, stop) for first, stop in pairwise(edges)]
