"""Key landmarks of an upright whole-body view, found from the body outline and the uptake.

Every landmark is a row of the upright grid (and, for paired ones, a column per side). Each is found
from the image where it can be, and otherwise placed by adult body proportions with a lower
confidence, so that a cut-off or unusual body is reported rather than guessed silently.

* ``vertex`` and ``soles``: the first and last rows of the body outline.
* ``neck``: the narrowest row of the outline below the widest part of the head.
* ``shoulders``: the first row below the neck where the outline reaches most of its shoulder width.
* ``crotch``: the first row below the trunk where the midline between the legs leaves the body.
* ``iliac_crests``: the top of the pelvis, from the rise of uptake beside the lumbar spine above the
  crotch.
* ``knees``: the brightest row of each leg between crotch and soles, where the knee joints are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from bonescan._body import BodyExtent, body_extent, smoothed

__all__ = ["Landmark", "Landmarks", "find_landmarks"]

# Adult proportions, as fractions of the vertex-to-sole length (Drillis and Contini, 1966).
_PROPORTION = {
    "neck": 0.13,
    "shoulders": 0.18,
    "iliac_crests": 0.41,
    "crotch": 0.52,
    "knees": 0.715,
}


@dataclass(frozen=True)
class Landmark:
    """One landmark: its row, optional columns per patient side, and how it was found."""

    row: float
    confidence: float
    method: str
    columns: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Landmarks:
    """The landmarks of one view, by name; ``missing`` says which could not be found, and why."""

    points: dict[str, Landmark]
    missing: dict[str, str]


def _proportional(extent: BodyExtent, name: str, reason: str) -> Landmark:
    row = extent.top + _PROPORTION[name] * extent.length
    return Landmark(row, 0.3, f"body proportions ({reason})")


def _neck(extent: BodyExtent) -> Landmark:
    length, top = extent.length, extent.top
    head = extent.width[top : top + int(0.10 * length)]
    widest = top + int(np.argmax(head))
    band = extent.width[widest : top + int(0.17 * length)].astype(float)
    if band.size < 5:
        return _proportional(extent, "neck", "head too short to measure")
    smooth = ndimage.uniform_filter1d(band, 5)
    row = widest + int(np.argmin(smooth))
    narrowing = 1.0 - smooth.min() / max(float(extent.width[widest]), 1.0)
    confidence = float(np.clip(narrowing / 0.3, 0.2, 1.0))
    return Landmark(float(row), confidence, "narrowest outline below the head")


def _shoulders(extent: BodyExtent, neck: float) -> Landmark:
    start = int(neck)
    stop = min(start + int(0.15 * extent.length), extent.bottom)
    band = ndimage.uniform_filter1d(extent.width[start:stop].astype(float), 3)
    if band.size < 5 or band.max() <= band[0]:
        return _proportional(extent, "shoulders", "no widening below the neck")
    target = band[0] + 0.8 * (band.max() - band[0])
    row = start + int(np.argmax(band >= target))
    return Landmark(float(row), 0.8, "outline widens to the shoulders")


def _row_middles(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Return, per row, the column halfway between the body's left and right edges."""
    columns = mask.shape[1]
    first = np.argmax(mask, axis=1)
    last = columns - 1 - np.argmax(mask[:, ::-1], axis=1)
    middle = np.where(mask.any(axis=1), (first + last) / 2, columns / 2)
    rounded: NDArray[np.int64] = np.rint(middle).astype(np.int64)
    return rounded


def _band_values(
    smooth: NDArray[np.float32], rows: range, middles: NDArray[np.int64], near: int, far: int
) -> NDArray[np.float32]:
    """Return, per row, the values ``near``..``far`` columns to each side of the middle (clipped)."""
    offsets = np.r_[-far:-near, near:far]
    columns = np.clip(middles[rows.start : rows.stop, np.newaxis] + offsets, 0, smooth.shape[1] - 1)
    values: NDArray[np.float32] = smooth[np.arange(rows.start, rows.stop)[:, np.newaxis], columns]
    return values


def _crotch(smooth: NDArray[np.float32], extent: BodyExtent, column_mm: float) -> Landmark:
    """Return the first row below the trunk where the midline is outside the body or in a valley.

    A valley: the midline holds less than half the uptake found 3-10 cm to either side (the thighs),
    which tells the legs apart even where the soft tissue of the thighs touches.
    """
    rows = range(extent.top + int(0.40 * extent.length), extent.bottom - int(0.15 * extent.length))
    middles = _row_middles(extent.mask)
    near, far = int(30 / column_mm), int(100 / column_mm)
    index = np.arange(rows.start, rows.stop)
    outside = ~extent.mask[index, middles[index]]
    sides = _band_values(smooth, rows, middles, near, far)
    half = sides.shape[1] // 2
    thighs = np.minimum(sides[:, :half].max(axis=1), sides[:, half:].max(axis=1))
    apart = outside | (smooth[index, middles[index]] < 0.5 * thighs)
    for first in np.flatnonzero(apart):
        if apart[first:].mean() > 0.9:
            return Landmark(
                float(rows.start + first), 0.8, "midline between the legs leaves the body or dims"
            )
    return _proportional(extent, "crotch", "legs not told apart along the midline")


def _iliac_crests(
    pixels: NDArray[np.float32], extent: BodyExtent, crotch: float, column_mm: float
) -> Landmark:
    """Return the top of the pelvis, where uptake beside the midline rises above the abdomen's.

    The row is the first above the crotch where uptake 7-13 cm beside the midline stays 25% above
    that of the abdomen. That band holds the iliac wings but not the bladder (within about 6 cm of
    the midline) nor, in most patients, the forearms.
    """
    length = extent.length
    rows = range(int(crotch - 0.22 * length), int(crotch - 0.03 * length))
    if rows.start <= extent.top or len(rows) < 10:
        return _proportional(extent, "iliac_crests", "trunk too short to search")
    smooth = smoothed(pixels, 2.0)
    near, far = int(70 / column_mm), int(130 / column_mm)
    profile = _band_values(smooth, rows, _row_middles(extent.mask), near, far).mean(axis=1)
    values = ndimage.uniform_filter1d(profile, 5)
    abdomen = float(np.median(values[: max(len(values) // 4, 1)]))
    above = values > 1.25 * abdomen
    sustained = ndimage.binary_opening(above, structure=np.ones(6, dtype=bool))
    if not sustained.any() or abdomen <= 0:
        return _proportional(extent, "iliac_crests", "no rise of uptake beside the spine")
    row = rows.start + int(np.argmax(sustained))
    return Landmark(float(row), 0.7, "uptake rises 7-13 cm beside the midline (iliac wings)")


def _knees(smooth: NDArray[np.float32], extent: BodyExtent, crotch: float) -> Landmark:
    """Return the knee row: the brightest band of each leg between the crotch and the soles."""
    span = extent.bottom - crotch
    start, stop = int(crotch + 0.25 * span), int(crotch + 0.60 * span)
    if stop - start < 10:
        return _proportional(extent, "knees", "legs too short to search")
    band = extent.mask[start:stop]
    spans = [np.flatnonzero(r)[[0, -1]].mean() for r in band if r.any()]
    if not spans:
        return _proportional(extent, "knees", "no body outline between the crotch and the soles")
    middle = int(np.median(spans))
    rows: dict[str, float] = {}
    columns: dict[str, float] = {}
    for side, cols in (("image_left", slice(0, middle)), ("image_right", slice(middle, None))):
        region = np.where(band[:, cols], smooth[start:stop, cols], 0.0)
        peak = region.max(axis=1)
        best = int(np.argmax(ndimage.uniform_filter1d(peak, 5)))
        rows[side] = start + best
        columns[side] = float(np.argmax(region[best]) + (cols.start or 0))
    row = float(np.mean(list(rows.values())))
    agreement = abs(rows["image_left"] - rows["image_right"]) / max(span, 1)
    confidence = float(np.clip(1.0 - 5 * agreement, 0.3, 0.9))
    return Landmark(row, confidence, "brightest band of each leg", columns)


def find_landmarks(
    pixels: NDArray[np.float32], spacing_mm: tuple[float, float], body: NDArray[np.bool_] | None = None
) -> Landmarks:
    """Find the landmarks of an upright view.

    Parameters
    ----------
    pixels : ndarray
        The upright counts (or display levels) of one view.
    spacing_mm : tuple of float
        Row and column pixel spacing.
    body : ndarray of bool, optional
        The body outline, when already at hand.

    Returns
    -------
    Landmarks
        The landmarks found; when no body is found, none, with the reason in ``missing``.
    """
    extent = BodyExtent(body) if body is not None else body_extent(pixels)
    if extent.empty or extent.length < 100:
        reason = "no body found" if extent.empty else "body too small to be a whole-body view"
        names = ["vertex", "neck", "shoulders", "iliac_crests", "crotch", "knees", "soles"]
        return Landmarks({}, {name: reason for name in names})
    points = {
        "vertex": Landmark(float(extent.top), 1.0, "top of the body outline"),
        "soles": Landmark(float(extent.bottom), 1.0, "bottom of the body outline"),
    }
    points["neck"] = _neck(extent)
    points["shoulders"] = _shoulders(extent, points["neck"].row)
    column_mm = spacing_mm[1]
    smooth = ndimage.gaussian_filter(pixels, 3.0)  # shared by the crotch and the knees
    points["crotch"] = _crotch(smooth, extent, column_mm)
    points["iliac_crests"] = _iliac_crests(pixels, extent, points["crotch"].row, column_mm)
    points["knees"] = _knees(smooth, extent, points["crotch"].row)
    return Landmarks(points, {})
