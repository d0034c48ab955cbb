"""The canonical grid the skeleton network sees, and the way between it and a view's own grid.

Views come in many sizes and spacings (1024×256 at 2.26 mm, 2048×512 at 1.2 mm, research exports at
whatever scale). The network always sees the same physical field: 512×128 pixels of 4.52 mm
(2314×579 mm, a whole-body camera field), centred on the view. Resampling is separable and linear
(sparse matrices along rows and columns), averaging over the source pixels a target pixel covers when
shrinking. Intensities are made independent of the count level: the square root of the values (which
evens out Poisson noise), divided by the square root of the 99th percentile inside the body, clipped
at 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from bonescan._body import body_mask

__all__ = [
    "CANONICAL_SHAPE",
    "CANONICAL_SPACING_MM",
    "canonical_reference",
    "from_canonical",
    "from_canonical_channels",
    "normalise",
    "resample",
    "resampled_channels",
    "to_canonical",
]

CANONICAL_SHAPE = (512, 128)
CANONICAL_SPACING_MM = 4.52
_CLIP = 3.0


@lru_cache(maxsize=32)
def _resampling_matrix(
    count_out: int, spacing_out: float, count_in: int, spacing_in: float
) -> sparse.csr_array:
    """Return the (count_out × count_in) matrix that resamples one axis, centres aligned.

    Each output pixel averages the input over its own footprint (a triangle twice as wide as the
    larger of the two pixels), which is linear interpolation when enlarging and area averaging when
    shrinking.
    """
    ratio = spacing_out / spacing_in
    centre_in, centre_out = (count_in - 1) / 2, (count_out - 1) / 2
    positions = centre_in + (np.arange(count_out) - centre_out) * ratio
    half = max(ratio, 1.0)
    reach = int(np.ceil(half)) + 1
    rows, cols, weights = [], [], []
    for offset in range(-reach, reach + 1):
        source = np.floor(positions).astype(int) + offset
        weight = np.maximum(0.0, 1.0 - np.abs(source - positions) / half)
        inside = (source >= 0) & (source < count_in) & (weight > 0)
        rows.append(np.flatnonzero(inside))
        cols.append(source[inside])
        weights.append(weight[inside])
    matrix = sparse.csr_array(
        (np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))), shape=(count_out, count_in)
    )
    totals = np.asarray(matrix.sum(axis=1)).ravel()
    scale = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
    return sparse.csr_array(sparse.diags_array(scale) @ matrix).astype(np.float32)


def resampled_channels(
    stack: NDArray[np.float32],
    shape_out: tuple[int, int],
    spacing_out: tuple[float, float],
    spacing_in: tuple[float, float],
) -> Iterator[NDArray[np.float32]]:
    """Yield each channel of a stack (channels, rows, columns) resampled to ``shape_out``.

    One channel at a time, so that a caller that only needs a summary of the channels (the most
    probable class) never holds them all at the size of a large view.
    """
    channels, rows_in, columns_in = stack.shape
    along_rows = _resampling_matrix(shape_out[0], spacing_out[0], rows_in, spacing_in[0])
    along_columns = _resampling_matrix(shape_out[1], spacing_out[1], columns_in, spacing_in[1])
    dense_columns = along_columns.toarray().T  # small: columns_in × columns_out
    by_columns = (stack.reshape(-1, columns_in) @ dense_columns).reshape(channels, rows_in, shape_out[1])
    for channel in range(channels):  # channel by channel: no transposed copies of the whole stack
        yield np.asarray(along_rows @ by_columns[channel], dtype=np.float32)


def resample(
    stack: NDArray[np.float32],
    shape_out: tuple[int, int],
    spacing_out: tuple[float, float],
    spacing_in: tuple[float, float],
) -> NDArray[np.float32]:
    """Resample a stack (channels, rows, columns) to ``shape_out`` at ``spacing_out``."""
    resampled = np.empty((stack.shape[0], *shape_out), dtype=np.float32)
    for index, channel in enumerate(resampled_channels(stack, shape_out, spacing_out, spacing_in)):
        resampled[index] = channel
    return resampled


def to_canonical(pixels: NDArray[np.floating], spacing_mm: tuple[float, float]) -> NDArray[np.float32]:
    """Resample one view (any size and spacing) to the canonical grid."""
    canonical = (CANONICAL_SPACING_MM, CANONICAL_SPACING_MM)
    stack = np.asarray(pixels, dtype=np.float32)[np.newaxis]
    resampled: NDArray[np.float32] = resample(stack, CANONICAL_SHAPE, canonical, spacing_mm)[0]
    return resampled


def from_canonical(
    channels: NDArray[np.float32], shape: tuple[int, int], spacing_mm: tuple[float, float]
) -> NDArray[np.float32]:
    """Resample per-class scores (classes, 512, 128) from the canonical grid to a view's grid."""
    canonical = (CANONICAL_SPACING_MM, CANONICAL_SPACING_MM)
    return resample(np.asarray(channels, dtype=np.float32), shape, spacing_mm, canonical)


def from_canonical_channels(
    channels: NDArray[np.float32], shape: tuple[int, int], spacing_mm: tuple[float, float]
) -> Iterator[NDArray[np.float32]]:
    """Like :func:`from_canonical`, one class at a time (:func:`resampled_channels`)."""
    canonical = (CANONICAL_SPACING_MM, CANONICAL_SPACING_MM)
    return resampled_channels(np.asarray(channels, dtype=np.float32), shape, spacing_mm, canonical)


def canonical_reference(pixels: NDArray[np.floating]) -> float:
    """Return the intensity scale of a view: the 99th percentile of its values inside the body."""
    values = np.asarray(pixels, dtype=np.float32)
    inside = values[body_mask(values)]
    return float(np.percentile(inside, 99)) if inside.size else 1.0


def normalise(canonical: NDArray[np.floating], reference: float | None = None) -> NDArray[np.float32]:
    """Return count-level-independent intensities of a canonical-grid view.

    The square root of the values divided by the square root of ``reference`` (by default the 99th
    percentile inside the body of ``canonical`` itself), clipped at 3.
    """
    values = np.maximum(np.asarray(canonical, dtype=np.float32), 0.0)
    scale = reference if reference is not None else canonical_reference(values)
    return np.clip(np.sqrt(values / max(scale, 1e-6)), 0.0, _CLIP).astype(np.float32)
