"""Decide whether a stored view is upright or head-down, and where the patient's left lies.

Rules, in order:

1. ``PatientOrientation (0020,0020)``, when the file fills it: its second value says where rows run
   (``F``, feet: upright; ``H``, head: head-down), its first value where columns run (``L``: towards the
   patient's left, so the left is on the image right).
2. The image itself: along the body's midline the skull, cervical spine and sternum are bright, while
   between the legs there is nothing but air or faint soft tissue. The end whose midline is bright is
   the head. A row's midline is half-way between its first and last outline columns, unless that
   lies :data:`OFF_MIDLINE` of the body's width or more off the line the rows' centres follow: in a
   faint view the legs' soft tissue may drop out of the outline beside a bright catheter bag or
   urine, and the bag's own centre, read as the midline, made an upright posterior view look
   head-down.

A head-down view is turned upright by a rotation of 180 degrees (what a feet-first sweep produces); a
view is never mirrored, so the posterior view stays as the camera saw it from behind.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import NDArray

from bonescan._body import BodyExtent, body_extent, smoothed
from bonescan.study import ImageSide, Orientation, ViewName, conventional_patient_left

__all__ = ["OFF_MIDLINE", "MidlineProfile", "decide_orientation", "midline_profile"]

logger = logging.getLogger(__name__)

_BAND = (0.08, 0.30)  # fraction of body length from each end that is compared
_MARGIN = 0.15  # how much brighter one end's midline must be to decide
_MIN_BODY_ROWS = 100
_MIN_ROW_PIXELS = 3
#: A row's centre this share of the rows' median width or more off the body's line is not its midline.
OFF_MIDLINE = 0.25
_FIT_STEP = 4  # the line is fitted to every fourth row's centre


class MidlineProfile:
    """Median brightness of the body's midline, relative to each row's maximum, near both ends."""

    def __init__(self, top: float, bottom: float) -> None:
        self.top = top
        self.bottom = bottom

    @property
    def head_at_top(self) -> bool | None:
        """True if the head is at the top, False if at the bottom, None if the image cannot tell."""
        if self.top - self.bottom > _MARGIN:
            return True
        if self.bottom - self.top > _MARGIN:
            return False
        return None


def _theil_sen(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float]:
    """Return the slope and intercept of the Theil-Sen line through points with increasing ``x``.

    The median of the slopes between all pairs, and the median of ``y`` less the slope times the
    median of ``x``: the values ``scipy.stats.theilslopes`` gives (its default ``separate``
    intercept), without importing ``scipy.stats`` (some 40 MB) for it.
    """
    first, second = np.triu_indices(x.size, k=1)
    slope = float(np.median((y[second] - y[first]) / (x[second] - x[first])))
    return slope, float(np.median(y) - slope * np.median(x))


def _midline_columns(extent: BodyExtent) -> NDArray[np.intp]:
    """Return per row of the image the column of the body's midline (-1 off the body).

    A row the outline covers with at least three pixels has its centre, half-way between its first
    and last outline columns (half to even, as ``round()`` does). A centre farther than
    :data:`OFF_MIDLINE` of the rows' median width from the straight line the centres follow
    (:func:`_theil_sen`, robust to a few rows far off it) is off the body's midline, and takes the
    line's column instead: a row whose outline holds only a catheter bag or urine beside a leg. Rows
    with fewer pixels get -1.
    """
    mask = extent.mask
    middles = np.full(mask.shape[0], -1, dtype=np.intp)
    rows = np.flatnonzero(np.count_nonzero(mask, axis=1) >= _MIN_ROW_PIXELS)
    if rows.size == 0:
        return middles
    covered = mask[rows]
    first = np.argmax(covered, axis=1)
    last = mask.shape[1] - 1 - np.argmax(covered[:, ::-1], axis=1)
    centres = (first + last) / 2.0
    if rows.size >= 2:
        fitted = np.arange(0, rows.size, _FIT_STEP if rows.size >= 2 * _FIT_STEP else 1)
        slope, intercept = _theil_sen(rows[fitted].astype(np.float64), centres[fitted])
        line = intercept + slope * rows
        off = np.abs(centres - line) > OFF_MIDLINE * float(np.median(last - first + 1))
        centres = np.where(off, line, centres)
    middles[rows] = np.rint(centres).astype(np.intp)
    return middles


def _band_ratio(
    smooth: NDArray[np.float32], extent: BodyExtent, middles: NDArray[np.intp], rows: range
) -> float:
    """Return the median over ``rows`` of the midline's brightness relative to the row's maximum.

    Per row of the body with a midline (``middles``, :func:`_midline_columns`): the mean of the 5
    pixels about the midline, over the greatest value between the row's first and last outline
    columns. All rows at once, with the values a row-by-row loop gives (a 5-pixel window cut by the
    image edge is measured on its own).
    """
    index = np.asarray(rows, dtype=np.intp)
    if index.size == 0:
        return 0.0
    mask, values, middle = extent.mask[index], smooth[index], middles[index]
    width = mask.shape[1]
    first = np.argmax(mask, axis=1)
    last = width - 1 - np.argmax(mask[:, ::-1], axis=1)
    columns = np.arange(width)
    between = (columns >= first[:, None]) & (columns <= last[:, None])
    row_max = np.where(between, values, -np.inf).max(axis=1)
    kept = (middle >= 0) & ~(row_max <= 0)
    whole = kept & (middle >= 2) & (middle + 3 <= width)
    window = np.take_along_axis(values[whole], middle[whole, None] + np.arange(-2, 3), axis=1)
    ratios = np.empty(index.size, dtype=np.float64)
    ratios[whole] = window.mean(axis=1).astype(np.float64) / row_max[whole].astype(np.float64)
    for position in np.flatnonzero(kept & ~whole):  # the window meets the image's edge
        centre = int(middle[position])
        part = values[position, max(centre - 2, 0) : centre + 3]
        ratios[position] = float(part.mean()) / float(row_max[position])
    return float(np.median(ratios[kept])) if kept.any() else 0.0


def midline_profile(pixels: NDArray[np.float32]) -> MidlineProfile | None:
    """Measure the midline brightness near both ends of the body, or None when no body is found."""
    extent = body_extent(pixels)
    if extent.empty or extent.length < _MIN_BODY_ROWS:
        return None
    smooth = smoothed(pixels, 2.0)
    middles = _midline_columns(extent)
    near, far = (int(extent.length * fraction) for fraction in _BAND)
    top = _band_ratio(smooth, extent, middles, range(extent.top + near, extent.top + far))
    bottom = _band_ratio(smooth, extent, middles, range(extent.bottom - far, extent.bottom - near))
    return MidlineProfile(top, bottom)


def _from_patient_orientation(view: ViewName, values: tuple[str, str]) -> Orientation | None:
    columns_towards, rows_towards = (value.upper() for value in values)
    if "F" in rows_towards and "H" not in rows_towards:
        head_down = False
    elif "H" in rows_towards and "F" not in rows_towards:
        head_down = True
    else:
        return None
    if "L" in columns_towards and "R" not in columns_towards:
        stored_left: ImageSide | None = ImageSide.RIGHT
    elif "R" in columns_towards and "L" not in columns_towards:
        stored_left = ImageSide.LEFT
    else:
        stored_left = None
    if stored_left is None:
        left = conventional_patient_left(view)
    else:
        left = _other_side(stored_left) if head_down else stored_left
    text = "\\".join(values)
    return Orientation(head_down, head_down, left, f"PatientOrientation (0020,0020) '{text}'")


def _other_side(side: ImageSide) -> ImageSide:
    return ImageSide.LEFT if side is ImageSide.RIGHT else ImageSide.RIGHT


def decide_orientation(
    stored: NDArray[np.float32],
    view: ViewName,
    patient_orientation: tuple[str, str] | None = None,
) -> Orientation:
    """Decide how to turn a stored view upright.

    Parameters
    ----------
    stored : ndarray
        The pixels as stored in the file.
    view : ViewName
        Which projection the pixels are.
    patient_orientation : tuple of str, optional
        The two values of PatientOrientation (0020,0020), when the file has them.

    Returns
    -------
    Orientation
        The flips to apply, the side of the patient's left after them, and the rule that decided;
        ``decided_by`` starts with ``"undecided"`` when nothing could tell.
    """
    if patient_orientation is not None:
        decided = _from_patient_orientation(view, patient_orientation)
        if decided is not None:
            return decided
    left = conventional_patient_left(view)
    profile = midline_profile(stored)
    if profile is None or profile.head_at_top is None:
        return Orientation(False, False, left, "undecided: kept as stored")
    measured = f"midline brightness top {profile.top:.2f}, bottom {profile.bottom:.2f}"
    if profile.head_at_top:
        return Orientation(False, False, left, f"image: head at the top ({measured})")
    logger.info("head-down %s view turned upright (%s)", view, measured)
    return Orientation(True, True, left, f"image: head at the bottom, turned upright ({measured})")
