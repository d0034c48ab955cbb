"""The image around a spot, as the finding classifier sees it.

A patch is :data:`PATCH_PX` × :data:`PATCH_PX` pixels centred on the spot's centre, with three
channels: the logarithm of the smoothed uptake over the view's normal bone level, the logarithm of the
local contrast (uptake over the local background), and the first channel at the place mirrored across
the body's midline (the other side of the patient in the same view). Outside the image the channels
are those of empty air (uptake 0.05 of normal bone, contrast 1).

A finding's patch (:func:`finding_patch`) has six channels: the three of its main spot, then the
three of its spot in the other view, mirrored left to right so that the patient's sides fall as in
the main view (anterior and posterior views see the patient from opposite sides). A finding seen in
one view only has empty air in the last three.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bonescan.detect.measure import ViewGeometry
from bonescan.detect.model import Finding
from bonescan.detect.reference import NormalUptake

__all__ = ["FINDING_PATCH_CHANNELS", "PATCH_PX", "finding_patch", "spot_patch"]

PATCH_PX = 32
FINDING_PATCH_CHANNELS = 6
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


def _empty_patch(size: int) -> NDArray[np.float32]:
    floor = float(np.log(_FLOOR))
    return np.stack([np.full((size, size), value, dtype=np.float32) for value in (floor, 0.0, floor)])


def finding_patch(
    finding: Finding, size: int = PATCH_PX, channels: int = FINDING_PATCH_CHANNELS
) -> NDArray[np.float32]:
    """Return the patch of a finding: its main spot, then (six channels) its other view mirrored.

    With ``channels`` = 3 only the main spot's patch is returned (the other view is not looked at).
    """
    main = finding.main
    first = main.patch if main.patch is not None else _empty_patch(size)
    if channels <= 3:
        return first[:channels]
    other = next((spot for spot in finding.spots.values() if spot is not main), None)
    second = other.patch[:, :, ::-1] if other is not None and other.patch is not None else _empty_patch(size)
    return np.concatenate([first, second]).astype(np.float32, copy=False)
