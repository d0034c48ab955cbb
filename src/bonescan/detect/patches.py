"""The image around a spot, as the finding classifier sees it.

A patch is :data:`PATCH_PX` × :data:`PATCH_PX` pixels centred on the spot's centre, with three
channels: the logarithm of the smoothed uptake over the view's normal bone level, the logarithm of the
local contrast (uptake over the local background), and the first channel at the place mirrored across
the body's midline (the other side of the patient in the same view). Outside the image the channels
are those of empty air (uptake 0.05 of normal bone, contrast 1).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bonescan.detect.measure import ViewGeometry
from bonescan.detect.reference import NormalUptake

__all__ = ["PATCH_PX", "spot_patch"]

PATCH_PX = 32
_FLOOR = 0.05


def _window(image: NDArray[np.float32], row: int, column: int, fill: float) -> NDArray[np.float32]:
    half = PATCH_PX // 2
    out = np.full((PATCH_PX, PATCH_PX), fill, dtype=np.float32)
    top, left = row - half, column - half
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + PATCH_PX, image.shape[0]), min(left + PATCH_PX, image.shape[1])
    if r0 < r1 and c0 < c1:
        out[r0 - top : r1 - top, c0 - left : c1 - left] = image[r0:r1, c0:c1]
    return out


def spot_patch(
    normal: NormalUptake, geometry: ViewGeometry, row: float, column: float
) -> NDArray[np.float32]:
    """Return the three-channel patch around (row, column) of one view (see the module text)."""
    uptake, contrast = normal.log_uptake, normal.log_contrast
    r, c = round(row), round(column)
    mirrored = round(2.0 * geometry.midline - column)
    floor = float(np.log(_FLOOR))
    return np.stack(
        [
            _window(uptake, r, c, floor),
            _window(contrast, r, c, 0.0),
            _window(uptake, r, mirrored, floor)[:, ::-1],
        ]
    )
