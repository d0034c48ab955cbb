"""Growing and shrinking a mask by the 4-neighbourhood, as ``scipy.ndimage`` does it, faster.

``ndimage.binary_dilation(mask, iterations=n)`` and ``ndimage.binary_erosion(mask, iterations=n)``
with their default structure (a pixel and its four neighbours) and border (nothing outside the image)
are the same as ``n`` passes of shifted logical operations on whole rows and columns, which take a
fraction of the time on a whole-body view.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["grown", "grown_square", "shrunk"]


def _check(iterations: int) -> None:
    if iterations < 1:
        raise ValueError(f"iterations must be at least 1, not {iterations}")


def grown(mask: NDArray[np.bool_], iterations: int = 1) -> NDArray[np.bool_]:
    """Return ``mask`` dilated ``iterations`` times by a pixel and its four neighbours.

    Parameters
    ----------
    mask : ndarray of bool, 2-D
        The mask.
    iterations : int
        How many times to dilate it (at least 1).

    Returns
    -------
    ndarray of bool
        The values of ``ndimage.binary_dilation(mask, iterations=iterations)``.
    """
    _check(iterations)
    current = np.array(mask, dtype=bool)
    for _ in range(iterations):
        before = current.copy()
        current[1:] |= before[:-1]
        current[:-1] |= before[1:]
        current[:, 1:] |= before[:, :-1]
        current[:, :-1] |= before[:, 1:]
    return current


def shrunk(mask: NDArray[np.bool_], iterations: int = 1) -> NDArray[np.bool_]:
    """Return ``mask`` eroded ``iterations`` times by a pixel and its four neighbours.

    Parameters
    ----------
    mask : ndarray of bool, 2-D
        The mask.
    iterations : int
        How many times to erode it (at least 1); pixels outside the image count as outside the mask.

    Returns
    -------
    ndarray of bool
        The values of ``ndimage.binary_erosion(mask, iterations=iterations)``.
    """
    _check(iterations)
    current = np.array(mask, dtype=bool)
    for _ in range(iterations):
        before = current.copy()
        current[1:] &= before[:-1]
        current[:-1] &= before[1:]
        current[:, 1:] &= before[:, :-1]
        current[:, :-1] &= before[:, 1:]
        current[0] = current[-1] = False
        current[:, 0] = current[:, -1] = False
    return current


def grown_square(mask: NDArray[np.bool_], radius: int) -> NDArray[np.bool_]:
    """Return ``mask`` dilated by a square of ``2 * radius + 1`` pixels a side (one row, then columns).

    Parameters
    ----------
    mask : ndarray of bool, 2-D
        The mask.
    radius : int
        Half the side of the square, not counting the centre (0: the mask itself).

    Returns
    -------
    ndarray of bool
        The values of ``ndimage.binary_dilation(mask, structure=np.ones((2 * radius + 1,) * 2, bool))``.
    """
    rows = np.array(mask, dtype=bool)
    source = rows.copy()
    for shift in range(1, radius + 1):
        rows[shift:] |= source[:-shift]
        rows[:-shift] |= source[shift:]
    out = rows.copy()
    for shift in range(1, radius + 1):
        out[:, shift:] |= rows[:, :-shift]
        out[:, :-shift] |= rows[:, shift:]
    return out
