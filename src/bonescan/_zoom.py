"""Enlarging an image by 2 or 4 with linear interpolation, as ``scipy.ndimage.zoom`` does it, faster.

``ndimage.zoom(image, step, order=1, grid_mode=True, mode="nearest")`` gives every output pixel the
sum of its four nearest input pixels, each times its row weight times its column weight, added in
double precision in a fixed order. For a step that is a power of two, the weights and the rows and
columns taken repeat with the output pixel's phase (its row and column modulo the step), so whole
phases are computed at once from shifted slices, with the same operations in the same order: the
same values, in a fraction of the time.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

__all__ = ["zoomed"]


def _phase(phase: int, step: int) -> tuple[int, float, float]:
    """Return the first input offset (-1 or 0) and the two weights of output phase ``phase``."""
    zoom = 1.0 / step
    position = (phase + 0.5) * zoom - 0.5
    start = math.floor(position)
    low = 1.0 - (position - start)
    return start, low, 1.0 - low


def zoomed(image: NDArray[np.floating], step: int) -> NDArray[np.floating]:
    """Return ``ndimage.zoom(image, step, order=1, grid_mode=True, mode="nearest")``.

    Parameters
    ----------
    image : ndarray, 2-D, float32 or float64
        The image to enlarge.
    step : int
        The factor; 2 and 4 take the fast way, any other is passed to ``ndimage.zoom``.

    Returns
    -------
    ndarray
        The enlarged image, ``step`` times as many rows and columns, of the image's type.
    """
    if step not in (2, 4) or image.ndim != 2 or image.dtype not in (np.float32, np.float64):
        return np.asarray(ndimage.zoom(image, float(step), order=1, grid_mode=True, mode="nearest"))
    rows, columns = image.shape
    padded = np.pad(np.asarray(image, dtype=np.float64), 1, mode="edge")  # "nearest" at the edges
    out = np.empty((rows * step, columns * step), dtype=image.dtype)
    phases = [_phase(phase, step) for phase in range(step)]
    for row_phase, (row_start, row_low, row_high) in enumerate(phases):
        upper = padded[row_start + 1 : row_start + 1 + rows] * row_low
        lower = padded[row_start + 2 : row_start + 2 + rows] * row_high
        for column_phase, (column_start, column_low, column_high) in enumerate(phases):
            left = slice(column_start + 1, column_start + 1 + columns)
            right = slice(column_start + 2, column_start + 2 + columns)
            total = 0.0 + upper[:, left] * column_low
            total += upper[:, right] * column_high
            total += lower[:, left] * column_low
            total += lower[:, right] * column_high
            out[row_phase::step, column_phase::step] = total
    return out
