"""The body outline of a whole-body view, shared by the readers and the quality checks."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

__all__ = ["BodyExtent", "body_extent", "body_mask"]

_SMOOTHING_SIGMA_PX = 2.0
_RELATIVE_THRESHOLD = 0.02
_MIN_COMPONENT_FRACTION = 0.02


def body_mask(pixels: NDArray[np.floating]) -> NDArray[np.bool_]:
    """Return the pixels inside the body outline.

    The view is smoothed (Gaussian, sigma 2 pixels) to tame Poisson noise, thresholded at 2% of its
    99.5th percentile (soft tissue sits well above that, empty air well below), and cleared of
    components smaller than 2% of the largest one (stray counts, a distant marker) before holes are
    filled.
    """
    smooth = ndimage.gaussian_filter(np.asarray(pixels, dtype=np.float32), _SMOOTHING_SIGMA_PX)
    positive = smooth[smooth > 0]
    if positive.size == 0:
        return np.zeros(smooth.shape, dtype=bool)
    threshold = _RELATIVE_THRESHOLD * float(np.percentile(positive, 99.5))
    labels, count = ndimage.label(smooth > threshold)
    if count == 0:
        return np.zeros(smooth.shape, dtype=bool)
    sizes = np.bincount(labels.ravel())[1:]
    keep = np.flatnonzero(sizes >= _MIN_COMPONENT_FRACTION * sizes.max()) + 1
    mask = np.isin(labels, keep)
    return np.asarray(ndimage.binary_fill_holes(mask), dtype=bool)


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
        """The median column of the body's pixels (the image centre when no body was found)."""
        columns = np.nonzero(self.mask)[1]
        return float(np.median(columns)) if columns.size else self.mask.shape[1] / 2.0

    @property
    def length(self) -> int:
        """Rows from the top of the body to its bottom, inclusive."""
        return 0 if self.empty else self.bottom - self.top + 1


def body_extent(pixels: NDArray[np.floating]) -> BodyExtent:
    """Return the body outline of a view with its first and last rows."""
    return BodyExtent(body_mask(pixels))
