"""How many counts a pixel value stands for, read from the noise of the image itself.

Detection is noise-aware (:mod:`bonescan.detect.spots`): it takes each pixel value as Poisson counts,
whose variance equals their mean. A gamma camera's whole-body view holds such counts, but an image
may reach bonescan with its values scaled: counts normalised to a maximum of 1, multiplied into a
wider integer range, or written by another simulator in its own units. Taken as counts, scaled-down
values make every lesion look like noise, and scaled-up values make noise look like lesions.

The image says how its values relate to counts. For each pixel ``x`` with the mean ``m`` of its eight
neighbours, Poisson counts scaled by ``g`` give ``var(x - m) = 9/8 · g · m`` where the expected counts
are locally flat: the **values per count** ``g`` is ``Σ (x - m)² / Σ 9/8 · m`` over the flattest
:data:`FLAT_SHARE` of the brighter pixels (bone and the brighter soft tissue), flattest by the
gradient of the view smoothed over 4 pixels relative to its Poisson noise. The edges of bones and
organs are left out so, even where an image has no camera blur to soften them. On 1,600 simulated
views ``g`` is 0.97-1.08 and on the real NEMA NM1 scan 1.00; on views thinned to 3-10% of their
counts, 0.84-0.98.

The estimate holds only for white noise: each pixel's noise independent of its neighbours'. Then
neighbouring differences ``x - m`` correlate by -0.167 (their shared pixels). A filtered or
interpolated image correlates its neighbours (the correlation rises towards 0 and above, and ``g``
falls far below 1 without any scaling), so its values are taken as counts as they are and a note says
so. Noise-free images look the same way.

Values are rescaled to counts (:attr:`CountScale.divisor`) only when the noise is white and ``g``
lies outside :data:`COUNTS_BAND`, so that camera counts are read exactly as given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from bonescan._masks import bounding_box

__all__ = ["COUNTS_BAND", "FLAT_SHARE", "WHITE_CORRELATION", "CountScale", "count_scale"]

#: Values per count taken as counts (simulated views measure 0.97-1.08, NM1 1.00).
COUNTS_BAND = (2.0 / 3.0, 1.5)
#: Neighbouring differences correlate at most this much for the noise to be white (-0.167 in theory;
#: simulated views -0.13 to -0.17, NM1 -0.16; a Gaussian filter of 0.5 pixel brings it to about 0).
WHITE_CORRELATION = -0.08
#: The share of the brighter pixels, the flattest, on which the noise is measured.
FLAT_SHARE = 0.6
#: Brighter pixels: those whose neighbour mean reaches this share of the 99th percentile of neighbour
#: means; at least :data:`_MIN_PIXELS` of them are needed.
_BRIGHT_SHARE = 0.1
_FLATNESS_SIGMA_PX = 4.0
_MIN_PIXELS = 2000
_NEIGHBOURS = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64) / 8.0
_VARIANCE_FACTOR = 9.0 / 8.0


@dataclass(frozen=True)
class CountScale:
    """What the noise of a view says about its pixel values.

    Attributes
    ----------
    values_per_count : float or None
        The pixel value that one count gives, if the noise is Poisson scaled (``None`` when too few
        pixels carry signal to tell).
    neighbour_correlation : float or None
        The correlation of neighbouring pixels' differences from their neighbours (-0.167 for white
        noise).
    """

    values_per_count: float | None
    neighbour_correlation: float | None

    @property
    def white(self) -> bool:
        """Whether the noise is independent from pixel to pixel, as in camera counts."""
        return self.neighbour_correlation is not None and self.neighbour_correlation <= WHITE_CORRELATION

    @property
    def scaled(self) -> bool:
        """Whether the values are counts multiplied by a factor that detection must take out."""
        return self.divisor != 1.0

    @property
    def divisor(self) -> float:
        """What to divide the pixel values by to get counts.

        The values per count when the noise is white and they lie outside :data:`COUNTS_BAND`, else 1.
        """
        low, high = COUNTS_BAND
        gain = self.values_per_count
        if self.white and gain is not None and gain > 0 and not low <= gain <= high:
            return gain
        return 1.0


def _correlation(first: NDArray[np.float64], second: NDArray[np.float64]) -> float:
    if first.size < 2 or float(first.std()) == 0.0 or float(second.std()) == 0.0:
        return 0.0
    return float(np.corrcoef(first, second)[0, 1])


def count_scale(values: NDArray[np.floating]) -> CountScale:
    """Return how many counts the pixel values of one view stand for, from their noise.

    Only the bright pixels' box, grown by the flatness smoothing's reach and one pixel, is smoothed,
    and the steepness is taken at the bright pixels only: every value read is that of the whole view,
    and no other pixel is used.

    Parameters
    ----------
    values : ndarray, shape (rows, columns)
        The view's pixel values.

    Returns
    -------
    CountScale
        The values per count and the neighbour correlation of the noise.
    """
    image = np.asarray(values, dtype=np.float64)
    mean = ndimage.convolve(image, _NEIGHBOURS, mode="mirror")
    positive = mean[mean > 0]
    if positive.size < _MIN_PIXELS:
        return CountScale(None, None)
    bright = mean >= _BRIGHT_SHARE * float(np.percentile(positive, 99))
    if int(bright.sum()) < _MIN_PIXELS:
        return CountScale(None, None)
    reach = int(4.0 * _FLATNESS_SIGMA_PX + 0.5) + 1  # gaussian_filter's radius, and the gradient's pixel
    window = bounding_box(bright, reach)
    image, mean, bright = image[window], mean[window], bright[window]
    smooth = ndimage.gaussian_filter(image.astype(np.float32), _FLATNESS_SIGMA_PX)
    down_slope, across_slope = np.gradient(smooth)
    steepness = np.hypot(down_slope[bright], across_slope[bright]) / np.sqrt(
        np.maximum(smooth[bright], 1e-12)
    )
    flat = np.zeros(bright.shape, dtype=bool)
    flat[bright] = steepness <= np.quantile(steepness, FLAT_SHARE)
    level = mean[flat]
    difference = image[flat] - level
    gain = float((difference**2).sum() / (_VARIANCE_FACTOR * level).sum())
    standard = np.zeros(flat.shape, dtype=np.float64)  # standardised differences, on the flat pixels
    standard[flat] = difference / np.sqrt(level)
    across = flat[:, :-1] & flat[:, 1:]
    down = flat[:-1, :] & flat[1:, :]
    correlation = 0.5 * (
        _correlation(standard[:, :-1][across], standard[:, 1:][across])
        + _correlation(standard[:-1, :][down], standard[1:, :][down])
    )
    return CountScale(gain, correlation)
