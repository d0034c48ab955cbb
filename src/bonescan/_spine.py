"""How much the spine below the chest stands out: a posterior view's stands out more.

The lower thoracic and upper lumbar spine lie just under the skin of the back and some 10 cm behind
the front of the abdomen, so a posterior view shows them much brighter against the trunk around them
than an anterior view of the same patient does (:func:`spine_prominence`). Two views are told apart
(or found swapped) when one's prominence exceeds the other's by a factor of ``exp(DECISIVE_LOG_RATIO)``
(1.11). The band of rows was chosen on development seeds 5110 and 5111, whose 400 simulated patients'
posterior views all stand out more, by a factor of 1.32 at least and 1.70 at the median; on
development seed 5112 and held-out seed 7143, 399 of 400 stand out more by the deciding margin and one
does not (0.95); none the other way. The views must be upright.

A single view shows its own prominence only. Anterior views stay under :data:`POSTERIOR_PROMINENCE`
(at most 2.30 of the 400 of development seeds 5110 and 5111, 2.22 of the 400 of development seed
5112 and held-out seed 7144), which 39% and 41% of the posterior views reach: a view taken as
anterior for want of a label that reaches it is likely the posterior view (a warning, not a switch).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from bonescan._body import body_extent, smoothed

__all__ = ["DECISIVE_LOG_RATIO", "POSTERIOR_PROMINENCE", "posterior_log_ratio", "spine_prominence"]

#: Natural log of the ratio of two views' spine prominences from which it tells them apart.
DECISIVE_LOG_RATIO = 0.1
#: A single view whose spine stands out at least this much looks posterior.
POSTERIOR_PROMINENCE = 2.5
_SPINE_BAND = (0.30, 0.37)  # rows, as shares of the body's height from its top: T10 to L2 or so
_SPINE_HALF_WIDTH = 0.04  # of the body's width in the band, either side of its middle
_SMOOTHING_PX = 2.0


def spine_prominence(pixels: NDArray[np.floating]) -> float | None:
    """Return how much the spine stands out from the trunk below the chest of an upright view.

    In the rows :data:`_SPINE_BAND` of the body's height from its top, the mean of the smoothed
    values within :data:`_SPINE_HALF_WIDTH` of the body's width either side of the body's middle
    column, over the median of the body's smoothed values there. None when the view has no such band.
    """
    extent = body_extent(pixels)
    if extent.empty:
        return None
    height = extent.bottom - extent.top
    band = slice(int(extent.top + _SPINE_BAND[0] * height), int(extent.top + _SPINE_BAND[1] * height))
    inside = extent.mask[band]
    if not inside.any():
        return None
    smooth = smoothed(pixels, _SMOOTHING_PX)[band]
    columns = np.nonzero(inside)[1]
    middle = int(np.median(columns))
    reach = max(int(_SPINE_HALF_WIDTH * (columns.max() - columns.min())), 1)
    trunk = float(np.median(smooth[inside]))
    return float(smooth[:, max(middle - reach, 0) : middle + reach + 1].mean()) / trunk if trunk > 0 else None


def posterior_log_ratio(first: NDArray[np.floating], second: NDArray[np.floating]) -> float | None:
    """Return log(prominence of ``first`` / prominence of ``second``): above 0 when ``first`` looks posterior.

    None when either view has no measurable band.
    """
    one, other = spine_prominence(first), spine_prominence(second)
    if one is None or other is None or one <= 0 or other <= 0:
        return None
    return math.log(one / other)
