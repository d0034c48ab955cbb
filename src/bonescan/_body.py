"""The body outline of a whole-body view and its extreme blobs, shared by the readers and the checks.

**Extreme blobs** are the few structures far brighter than any bone: the bladder, and urine where it
does not belong (a catheter's collection bag, contamination). A pixel of the view smoothed over 2
pixels is extreme at :data:`EXTREME_RATIO` times the view's bone level: the 98th percentile of the
positive smoothed pixels, but at most :data:`LEVEL_CAP` times their 90th percentile (a large bag can
fill the top 2% of the field; it cannot fill the top 10%, and in views without one the 98th
percentile is 1.5-2.3 times the 90th). Each blob is grown over the pixels at :data:`BLOB_RATIO`
times that level. Hot lesions reach about 5 times the level, rarely 10. A large round blob (at least
:data:`LARGE_BLOB_MM2` at :data:`BLOB_RATIO` times the level, its long axis at most
:data:`ROUND_ELONGATION` times its short one) is extreme from :data:`LARGE_EXTREME_RATIO` times the
level: a collection bag of dilute urine is as large as a hand and round, which bone is not.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

__all__ = [
    "BLOB_RATIO",
    "EXTREME_RATIO",
    "LARGE_BLOB_MM2",
    "LARGE_EXTREME_RATIO",
    "LEVEL_CAP",
    "OUTLINE_CAP",
    "ROUND_ELONGATION",
    "BodyExtent",
    "body_extent",
    "body_mask",
    "bone_level",
    "extreme_blobs",
    "smoothed",
]

_SMOOTHING_SIGMA_PX = 2.0
_RELATIVE_THRESHOLD = 0.02
_MIN_COMPONENT_FRACTION = 0.02
#: Smoothed counts over the view's bone level (98th percentile) at which a pixel is extreme.
EXTREME_RATIO = 8.0
#: Smoothed counts over the bone level down to which an extreme blob is grown.
BLOB_RATIO = 3.0
#: Peak over the bone level from which a large round blob is extreme.
LARGE_EXTREME_RATIO = 5.0
#: Area (at :data:`BLOB_RATIO`) from which a blob is large.
LARGE_BLOB_MM2 = 3000.0
#: Long axis over short axis up to which a blob is round.
ROUND_ELONGATION = 1.6
#: The bone level is at most this many times the 90th percentile of the positive smoothed pixels.
LEVEL_CAP = 2.5
#: The body outline's reference is at most this many times the bone level (see :func:`body_mask`).
OUTLINE_CAP = 4.0

_Key = tuple[tuple[int, ...], bytes]
_T = TypeVar("_T")
_V = TypeVar("_V")
_REMEMBERED = 8
_REMEMBERED_MASKS: OrderedDict[_Key, NDArray[np.bool_]] = OrderedDict()
_REMEMBERED_SMOOTH: OrderedDict[tuple[_Key, float], NDArray[np.float32]] = OrderedDict()
_REMEMBERED_LOCK = threading.Lock()


def body_mask(pixels: NDArray[np.floating]) -> NDArray[np.bool_]:
    """Return the pixels inside the body outline.

    The view is smoothed (Gaussian, sigma 2 pixels) to tame Poisson noise, thresholded at 2% of its
    99.5th percentile (soft tissue sits well above that, empty air well below), but of at most
    :data:`OUTLINE_CAP` times its bone level (:func:`bone_level`), and cleared of components smaller
    than 2% of the largest one (stray counts, a distant marker) before holes are filled. The cap
    matters only where something far brighter than bone fills more than the top 0.5% of the view (a
    catheter's collection bag, a large full bladder, many hot lesions): in a faint view the 99.5th
    percentile was then the bag's, and the legs' soft tissue, below 2% of it, fell out of the outline
    with the bone inside (up to 39% of a simulated view's bone; 16 of 800 development views lost more
    than 1%). Views whose 99.5th percentile is at most that (97% of the development views, and NM1)
    keep the outline they had.

    The loader, the quality checks and the labelling each ask for the outline of the same view, so
    the outlines of the last :data:`_REMEMBERED` images are kept, keyed by their content.
    """
    values = np.ascontiguousarray(pixels, dtype=np.float32)
    key = _content_key(values)
    with _REMEMBERED_LOCK:
        known = _REMEMBERED_MASKS.get(key)
        if known is not None:
            _REMEMBERED_MASKS.move_to_end(key)
            return known.copy()
    mask = _outline(values, key)
    _remember(_REMEMBERED_MASKS, key, mask)
    return mask.copy()


def smoothed(pixels: NDArray[np.floating], sigma_px: float) -> NDArray[np.float32]:
    """Return ``pixels`` as float32 smoothed with a Gaussian of ``sigma_px`` pixels (read-only).

    The values are those of ``scipy.ndimage.gaussian_filter`` on the float32 pixels (its defaults).
    The loader, the body outline, the urine search, the landmarks and the detection each smooth the
    same view by 2 pixels, so the results for the last :data:`_REMEMBERED` images are kept, keyed by
    their content and the sigma.
    """
    values = np.ascontiguousarray(pixels, dtype=np.float32)
    return _smoothed(values, _content_key(values), sigma_px)


def _content_key(values: NDArray[np.float32]) -> _Key:
    return (values.shape, hashlib.sha1(values.data, usedforsecurity=False).digest())


def _smoothed(values: NDArray[np.float32], key: _Key, sigma_px: float) -> NDArray[np.float32]:
    """Return :func:`smoothed` of ``values``, whose content key is ``key``."""
    smooth_key = (key, float(sigma_px))
    with _REMEMBERED_LOCK:
        known = _REMEMBERED_SMOOTH.get(smooth_key)
        if known is not None:
            _REMEMBERED_SMOOTH.move_to_end(smooth_key)
            return known
    smooth = np.asarray(ndimage.gaussian_filter(values, sigma_px), dtype=np.float32)
    smooth.flags.writeable = False
    _remember(_REMEMBERED_SMOOTH, smooth_key, smooth)
    return smooth


def _remember(memory: OrderedDict[_T, _V], key: _T, value: _V) -> None:
    with _REMEMBERED_LOCK:
        memory[key] = value
        while len(memory) > _REMEMBERED:
            memory.popitem(last=False)


def _outline(values: NDArray[np.float32], key: _Key) -> NDArray[np.bool_]:
    smooth = _smoothed(values, key, _SMOOTHING_SIGMA_PX)
    positive = smooth[smooth > 0]
    if positive.size == 0:
        return np.zeros(smooth.shape, dtype=bool)
    threshold = _RELATIVE_THRESHOLD * min(float(np.percentile(positive, 99.5)), OUTLINE_CAP * _level(smooth))
    above = smooth > threshold
    labels, count = ndimage.label(above)
    if count <= 1:  # none, or one piece: kept whole (it is the largest)
        return _filled(above) if count else np.zeros(smooth.shape, dtype=bool)
    sizes = np.bincount(labels.ravel())
    kept = sizes >= _MIN_COMPONENT_FRACTION * sizes[1:].max()
    kept[0] = False
    return _filled(kept[labels])


def _filled(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Return ``mask`` with its holes filled, as ``ndimage.binary_fill_holes`` does (faster).

    A hole is a piece of the background (4-connected, as there) that does not reach the image's edge.
    """
    background, _ = ndimage.label(~mask)
    edge = np.concatenate([background[0], background[-1], background[:, 0], background[:, -1]])
    outside = np.zeros(int(background.max()) + 1, dtype=bool)
    outside[edge] = True
    outside[0] = False
    return np.asarray(mask | ~outside[background], dtype=bool)


class BodyExtent:
    """Rows of the body and its width along them."""

    def __init__(self, mask: NDArray[np.bool_]) -> None:
        self.mask = mask
        self.width = mask.sum(axis=1)
        rows = np.flatnonzero(self.width > 0)
        self.top = int(rows[0]) if rows.size else -1
        self.bottom = int(rows[-1]) if rows.size else -1

    @property
    def empty(self) -> bool:
        """Whether no body was found."""
        return self.top < 0

    @property
    def midline(self) -> float:
        """The median column of the body's pixels (the image centre when no body was found).

        That of ``np.median(np.nonzero(mask)[1])``, read from the pixels per column: the middle
        column, or the mean of the middle two.
        """
        per_column = np.cumsum(self.mask.sum(axis=0))
        count = int(per_column[-1]) if per_column.size else 0
        if count == 0:
            return float(self.mask.shape[1]) / 2.0
        middle = np.searchsorted(per_column, [(count - 1) // 2, count // 2], side="right")
        return float(np.mean(middle.astype(np.float64)))

    @property
    def length(self) -> int:
        """Rows from the top of the body to its bottom, inclusive."""
        return 0 if self.empty else self.bottom - self.top + 1


def body_extent(pixels: NDArray[np.floating]) -> BodyExtent:
    """Return the body outline of a view with its first and last rows."""
    return BodyExtent(body_mask(pixels))


def _large_and_round(
    rows: NDArray[np.intp], columns: NDArray[np.intp], spacing_mm: tuple[float, float]
) -> bool:
    """Whether a blob covers :data:`LARGE_BLOB_MM2` with axes within :data:`ROUND_ELONGATION`."""
    if rows.size * spacing_mm[0] * spacing_mm[1] < LARGE_BLOB_MM2:
        return False
    covariance = np.cov(np.stack([rows * spacing_mm[0], columns * spacing_mm[1]]))
    low, high = np.linalg.eigvalsh(covariance)
    return bool(math.sqrt(max(high, 0.0) / max(low, 1e-9)) <= ROUND_ELONGATION)


def bone_level(pixels: NDArray[np.floating]) -> float:
    """Return the view's bone level (see the module notes); 0 for an empty view."""
    return _level(smoothed(pixels, _SMOOTHING_SIGMA_PX))


def _level(smooth: NDArray[np.float32]) -> float:
    positive = smooth[smooth > 0]
    if positive.size == 0:
        return 0.0
    high, top = np.percentile(positive, [90.0, 98.0])
    return float(min(top, LEVEL_CAP * high))


def extreme_blobs(pixels: NDArray[np.floating], spacing_mm: tuple[float, float]) -> NDArray[np.bool_]:
    """Return the pixels of the view's extreme blobs (see the module notes); none in most views."""
    smooth = smoothed(pixels, _SMOOTHING_SIGMA_PX)
    level = _level(smooth)
    if level <= 0.0 or not (smooth >= LARGE_EXTREME_RATIO * level).any():
        return np.zeros(smooth.shape, dtype=bool)
    labels, _ = ndimage.label(smooth >= BLOB_RATIO * level)
    extreme = np.zeros(smooth.shape, dtype=bool)
    for index, window in enumerate(ndimage.find_objects(labels), start=1):
        if window is None:
            continue
        blob = labels[window] == index
        peak = float(smooth[window][blob].max())
        rows, columns = np.nonzero(blob)
        if peak >= EXTREME_RATIO * level or (
            peak >= LARGE_EXTREME_RATIO * level and _large_and_round(rows, columns, spacing_mm)
        ):
            extreme[window] |= blob
    return extreme
