"""What bone would show without a photopenic defect: the other side, or the vertebrae above and below.

A cold (photopenic) lesion is bone that takes up less tracer than it should. What it should take up
is read from the same view, as a reader does it:

* **The other side.** The body's midline is found row by row: the reflection that best matches the
  bone with itself over a band of :data:`MIDLINE_BAND_MM` (the least mean absolute difference of the
  smoothed counts, over :data:`MIDLINE_SEARCH_MM` either side of the middle of the view), then
  median-filtered along the body. The view smoothed with a Gaussian of :data:`DEFECT_SIGMA_MM` is
  reflected about it; the reflection is eroded (its least value within :data:`POSTURE_SHIFT_MM`) so
  that a bone edge that lies a few millimetres apart on the two sides is not a defect, and scaled by
  the ratio of the two sides' bone counts over a Gaussian window of :data:`SIDE_BALANCE_MM` (a patient
  turned a little, or one side nearer the camera).
  Where a candidate defect lies, that allowance is replaced by a fit: the reflection is shifted by the
  offset (at most :data:`POSTURE_SHIFT_MM`) that best matches the bone around the candidate
  (:meth:`DefectReference.registered`). The lowest value within the allowance sets the reference far
  below the bone's own level where uptake changes fast across a bone (the iliac wing, the femoral
  neck, the edge of the scapula), and hides defects there.
* **The spine and the sternum**, which the reflection maps onto themselves: the medians of the
  smoothed counts :data:`VERTEBRA_MIN_MM`-:data:`VERTEBRA_MAX_MM` above and below (one or two
  vertebrae away) in the same column; their mean when they agree within :data:`VERTEBRA_AGREEMENT`,
  else the lower (a hot vertebra on one side is not normal bone). The spine is compared one pixel
  further from its edge than other bone: its edge shifts sideways from one level to the next.

Where neither applies the view is not compared: off bone and within :data:`EDGE_PX` pixels of its
edge; the face and the limbs below the proximal humerus and femur (their posture differs between the
two sides, and lytic lesions are rare there); within :data:`SELF_MARGIN_MM` of the midline, where the
reflection falls on the place itself (the spine takes the vertebrae above and below instead); and
where the reflection falls off bone or on a kidney or the bladder.

For speed the midline is searched on every second row and the two sides' bone counts are smoothed on
a grid four times coarser; both vary slowly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from types import EllipsisType
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy import fft, ndimage

from bonescan._masks import grown, shrunk
from bonescan._zoom import zoomed
from bonescan.regions import bone_regions, region

#: Some pixels of a view: their row and column indices (``np.nonzero`` of a mask).
PixelIndices = tuple[NDArray[np.intp], NDArray[np.intp]]

__all__ = [
    "DEFECT_SIGMA_MM",
    "EDGE_PX",
    "MIDLINE_BAND_MM",
    "MIDLINE_SEARCH_MM",
    "MIDLINE_SMOOTHING_PX",
    "POSTURE_SHIFT_MM",
    "SELF_MARGIN_MM",
    "SIDE_BALANCE_MM",
    "VERTEBRA_AGREEMENT",
    "VERTEBRA_MAX_MM",
    "VERTEBRA_MIN_MM",
    "DefectReference",
    "PixelIndices",
    "defect_reference",
    "midline_columns",
    "reflect",
]

DEFECT_SIGMA_MM = 5.6
MIDLINE_SEARCH_MM = 45.0
MIDLINE_BAND_MM = 27.0
_MIDLINE_MEDIAN_MM = 70.0
#: The Gaussian (pixels) the counts are smoothed with before the midline is searched.
MIDLINE_SMOOTHING_PX = 2.0
_MIDLINE_ROW_STEP = 2
POSTURE_SHIFT_MM = 7.0
#: How far around a candidate defect its bone is matched with the other side (see ``registered``).
REGISTRATION_RING_MM = 27.0
#: The margin about a candidate defect left out of that match (its blurred edge).
REGISTRATION_GAP_MM = 9.0
#: The most the registered reflection may differ from the bone around, on average, as a share of its level.
REGISTRATION_FIT = 0.15
_MIN_RING_PX = 20
SIDE_BALANCE_MM = 45.0
SELF_MARGIN_MM = 13.5
VERTEBRA_MIN_MM = 18.0
VERTEBRA_MAX_MM = 36.0
#: The vertebrae above and below agree when neither shows more than this many times the other.
VERTEBRA_AGREEMENT = 1.3
EDGE_PX = 2
_MIN_BAND_BONE_PX = 4
_COARSE_STEP = 4

_Pixel = TypeVar("_Pixel", bound=np.generic)
_BONE_LABELS = np.zeros(256, dtype=bool)
_BONE_LABELS[[entry.label for entry in bone_regions()]] = True
_NOT_COMPARED = (
    "facial_mandible",
    "humerus_distal_left",
    "humerus_distal_right",
    "forearm_left",
    "forearm_right",
    "hand_left",
    "hand_right",
    "femur_distal_left",
    "femur_distal_right",
    "tibia_fibula_left",
    "tibia_fibula_right",
    "foot_left",
    "foot_right",
)
_COMPARED = _BONE_LABELS.copy()
_COMPARED[[region(name).label for name in _NOT_COMPARED]] = False
_VERTICAL = np.zeros(256, dtype=bool)
_VERTICAL[
    [region(name).label for name in ("cervical_spine", "thoracic_spine", "lumbar_spine", "sternum")]
] = True
_ORGANS = np.zeros(256, dtype=bool)
_ORGANS[[region(name).label for name in ("bladder", "kidney_left", "kidney_right")]] = True


@dataclass(frozen=True, eq=False)
class DefectReference:
    """The counts bone would show without a defect, and where that is known.

    Attributes
    ----------
    smoothed : ndarray of float32
        The view smoothed with a Gaussian of :data:`DEFECT_SIGMA_MM`.
    expected : ndarray of float32
        What each pixel would show without a defect (same smoothing).
    comparable : ndarray of bool
        Where ``expected`` is known (see the module notes).
    midline : ndarray of int
        Per row, twice the column of the body's midline: column ``c`` reflects onto ``midline - c``.
    sigma_px : float
        The smoothing, in pixels.
    reflection : ndarray of float32
        Where the other side is the reference (``by_side``), the reflection scaled by the side balance
        without the posture allowance; elsewhere ``expected``. :meth:`registered` fits it to the bone
        around a candidate defect.
    by_side : ndarray of bool
        Where the other side is the reference (the rest of ``comparable`` takes the vertebrae).
    """

    smoothed: NDArray[np.float32]
    expected: NDArray[np.float32]
    comparable: NDArray[np.bool_]
    midline: NDArray[np.intp]
    sigma_px: float
    reflection: NDArray[np.float32]
    by_side: NDArray[np.bool_]

    @property
    def by_vertebrae(self) -> NDArray[np.bool_]:
        """Where the vertebrae above and below are the reference (the rest of ``comparable``)."""
        return np.asarray(self.comparable & ~self.by_side)

    @cached_property
    def ratio(self) -> NDArray[np.float32]:
        """Smoothed counts over the expected counts: below 1 in a photopenic defect."""
        return _ratio(self.smoothed, self.expected)

    @cached_property
    def z(self) -> NDArray[np.float32]:
        """How many Poisson standard deviations (of both estimates) the counts lie below the expected."""
        return _z(self.smoothed, self.expected, self.sigma_px)

    def ratio_at(self, pixels: PixelIndices | EllipsisType) -> NDArray[np.float32]:
        """Return :attr:`ratio` at ``pixels`` only (the same values, without the whole view's)."""
        return _ratio(self.smoothed[pixels], self.expected[pixels])

    def z_at(self, pixels: PixelIndices | EllipsisType) -> NDArray[np.float32]:
        """Return :attr:`z` at ``pixels`` only (the same values, without the whole view's)."""
        return _z(self.smoothed[pixels], self.expected[pixels], self.sigma_px)

    def registered(self, candidate: NDArray[np.bool_], spacing_mm: tuple[float, float]) -> DefectReference:
        """Return this reference with each candidate defect's reflection fitted to the bone around it.

        Each connected piece of ``candidate`` that takes the other side as its reference gets, on its own
        pixels, the reflection shifted by the offset of at most :data:`POSTURE_SHIFT_MM` that best matches
        the bone within :data:`REGISTRATION_RING_MM` around it (the piece and
        :data:`REGISTRATION_GAP_MM` about it left out, so that the defect does not choose its own
        reference). A bone edge that lies a few millimetres apart on the two sides is then aligned rather
        than forgiven by the lowest value near it, which in a bone whose uptake changes fast (the iliac
        wing, the femoral neck) would set the reference far below the bone's own level. When no offset
        matches that bone within :data:`REGISTRATION_FIT` of its level on average (the two sides differ
        in shape there), or too little bone lies around the piece, the piece keeps the allowance.

        Parameters
        ----------
        candidate : ndarray of bool
            The candidate defect pixels (found against :attr:`reflection`).
        spacing_mm : tuple of float
            The view's pixel spacing (row, column).

        Returns
        -------
        DefectReference
            A copy whose ``expected`` holds the registered reflection on the candidate pixels.
        """
        expected = self.expected.copy()
        labelled, _ = ndimage.label(candidate & self.by_side, structure=np.ones((3, 3), dtype=bool))
        for index, window in enumerate(ndimage.find_objects(labelled), start=1):
            if window is not None:
                _register_piece(self, labelled, index, window, spacing_mm, expected)
        return replace(self, expected=np.asarray(expected, dtype=np.float32))

    def reflected(self, mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
        """Return ``mask`` reflected about the midline (False where the reflection leaves the view)."""
        return _reflect_mask(mask, self.midline)


def _ratio(smoothed: NDArray[np.float32], expected: NDArray[np.float32]) -> NDArray[np.float32]:
    return np.asarray(smoothed / np.maximum(expected, 1e-3), dtype=np.float32)


def _z(smoothed: NDArray[np.float32], expected: NDArray[np.float32], sigma_px: float) -> NDArray[np.float32]:
    effective_pixels = 4.0 * math.pi * sigma_px**2
    spread = np.sqrt(np.maximum(smoothed + expected, 1e-3) / effective_pixels)
    return np.asarray((expected - smoothed) / spread, dtype=np.float32)


def _pixels(mm: float, spacing_mm: tuple[float, float]) -> float:
    return mm / float(np.mean(spacing_mm))


def _register_piece(
    reference: DefectReference,
    labelled: NDArray[np.int32],
    index: int,
    window: tuple[slice, slice],
    spacing_mm: tuple[float, float],
    expected: NDArray[np.float32],
) -> None:
    """Write into ``expected`` the reflection of piece ``index`` registered on the bone around it."""
    shift = round(_pixels(POSTURE_SHIFT_MM, spacing_mm))
    reach = round(_pixels(REGISTRATION_RING_MM, spacing_mm))
    rows, columns = labelled.shape
    top, bottom = max(window[0].start - reach, shift), min(window[0].stop + reach, rows - shift)
    left, right = max(window[1].start - reach, shift), min(window[1].stop + reach, columns - shift)
    if top >= bottom or left >= right:
        return
    piece = labelled[top:bottom, left:right] == index
    gap = max(round(_pixels(REGISTRATION_GAP_MM, spacing_mm)), 1)
    ring = reference.by_side[top:bottom, left:right] & ~grown(piece, gap)
    if ring.sum() < _MIN_RING_PX:
        return
    here = reference.smoothed[top:bottom, left:right][ring]
    best, best_cost = None, np.inf
    for dy in range(-shift, shift + 1):
        for dx in range(-shift, shift + 1):
            moved = reference.reflection[top + dy : bottom + dy, left + dx : right + dx]
            cost = float(np.abs(here - moved[ring]).mean())
            if cost < best_cost:
                best, best_cost = moved, cost
    if best is not None and best_cost <= REGISTRATION_FIT * float(here.mean()):
        inside = np.zeros(labelled.shape, dtype=bool)
        inside[top:bottom, left:right] = piece
        expected[inside] = best[piece]


def reflect(
    image: NDArray[np.float32], midline: NDArray[np.intp]
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Reflect ``image`` row by row: column ``c`` of row ``r`` takes column ``midline[r] - c``.

    Returns
    -------
    reflected : ndarray of float32
        The reflected image (0 where the reflection leaves the view).
    inside : ndarray of bool
        Where the reflection stays inside the view.
    """
    midline = np.asarray(midline, dtype=np.intp)
    inside = _inside(midline, image.shape[1])
    return _reflected_by_runs(np.asarray(image, dtype=np.float32), midline), inside.copy()


def _reflect_mask(mask: NDArray[np.bool_], midline: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Return ``mask`` reflected about ``midline`` (False where the reflection leaves the view)."""
    return _reflected_by_runs(np.asarray(mask, dtype=bool), np.asarray(midline, dtype=np.intp))


def _reflected_by_runs(image: NDArray[_Pixel], midline: NDArray[np.intp]) -> NDArray[_Pixel]:
    """Reflect ``image`` about ``midline`` (zero where the reflection leaves the view).

    The midline is the same over long runs of rows, each of which is reflected by slices at once (a
    copy of the same values, faster than taking them pixel by pixel).
    """
    out = np.zeros_like(image)
    if midline.size == 0:
        return out
    reversed_columns = image[:, ::-1]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(midline)) + 1])
    stops = np.append(starts[1:], midline.size)
    for top, bottom in zip(starts.tolist(), stops.tolist(), strict=True):
        reflected, filled = _reflected_about(reversed_columns[top:bottom], int(midline[top]))
        out[top:bottom, filled] = reflected
    return out


def _inside(midline: NDArray[np.intp], columns: int) -> NDArray[np.bool_]:
    """Return where each pixel's reflection about ``midline`` stays inside the view.

    A view's reflections all use its one midline, so the last few are kept (read-only).
    """
    return _remembered_inside(midline.tobytes(), columns)


@lru_cache(maxsize=4)
def _remembered_inside(midline: bytes, columns: int) -> NDArray[np.bool_]:
    source = np.frombuffer(midline, dtype=np.intp)[:, None] - np.arange(columns)[None, :]
    inside = (source >= 0) & (source < columns)
    inside.flags.writeable = False
    return inside


def _reflected_about(reversed_columns: NDArray[_Pixel], twice: int) -> tuple[NDArray[_Pixel], slice]:
    """Reflect an image about column ``twice / 2`` of every row: the reflection and the columns it fills.

    ``reversed_columns`` is the image with its columns in reverse order (``image[:, ::-1]``).
    """
    columns = reversed_columns.shape[1]
    low, high = max(0, twice - columns + 1), min(columns - 1, twice)
    start = low + columns - 1 - twice
    return reversed_columns[:, start : start + max(high - low + 1, 0)], slice(low, max(high + 1, low))


def midline_columns(
    counts: NDArray[np.floating], bone: NDArray[np.bool_], spacing_mm: tuple[float, float]
) -> NDArray[np.intp]:
    """Return, per row, twice the column about which the bone of the view is most nearly symmetric.

    Parameters
    ----------
    counts : ndarray
        The view's counts (upright).
    bone : ndarray of bool
        Its bone pixels.
    spacing_mm : tuple of float
        Its pixel spacing (row, column).

    Returns
    -------
    ndarray of int
        ``2 * midline`` per row (an integer, so that the midline may fall between two columns).
    """
    smoothed = ndimage.gaussian_filter(np.asarray(counts, dtype=np.float32), MIDLINE_SMOOTHING_PX)
    return _midline_of_smoothed(np.asarray(smoothed, dtype=np.float32), bone, spacing_mm)


def _midline_of_smoothed(
    smoothed: NDArray[np.float32], bone: NDArray[np.bool_], spacing_mm: tuple[float, float]
) -> NDArray[np.intp]:
    rows, columns = smoothed.shape
    step = _MIDLINE_ROW_STEP
    smooth = np.asarray(np.where(bone, smoothed, 0)[::step], dtype=np.float32)
    reach = round(2 * _pixels(MIDLINE_SEARCH_MM, spacing_mm))
    doubled = np.arange(columns - 1 - reach, columns - 1 + reach + 1)
    cost = np.zeros((smooth.shape[0], doubled.size), dtype=np.float64)
    weight = np.zeros_like(cost)
    bone_here = bone[::step]
    with_bone = np.flatnonzero(bone_here.any(axis=1))  # a row without bone costs and weighs nothing
    if with_bone.size:
        cost[with_bone] = _mirror_costs(smooth[with_bone], doubled)
        weight[with_bone] = _mirror_weights(bone_here[with_bone], doubled)
    band = 2 * round(_pixels(MIDLINE_BAND_MM, spacing_mm) / (2 * step)) + 1
    counted = np.where(weight >= _MIN_BAND_BONE_PX, 1.0, 0.0)
    mean_cost = ndimage.uniform_filter1d(cost * counted, band, axis=0) / np.maximum(
        ndimage.uniform_filter1d(weight * counted, band, axis=0), 1e-6
    )
    mean_cost[ndimage.uniform_filter1d(counted, band, axis=0) <= 0] = np.inf
    best = doubled[np.argmin(mean_cost, axis=1)]
    best[np.all(~np.isfinite(mean_cost), axis=1)] = columns - 1
    length = 2 * round(_pixels(_MIDLINE_MEDIAN_MM, spacing_mm) / (2 * step)) + 1
    best = ndimage.median_filter(best, size=length, mode="nearest")
    return np.asarray(np.repeat(best, step)[:rows], dtype=np.intp)


def _mirror_costs(smooth: NDArray[np.float32], doubled: NDArray[np.int_]) -> NDArray[np.float32]:
    """Return, per row and candidate midline (twice its column), the sum of ``|smooth - reflection|``.

    The sum runs over the columns whose reflection stays inside the view, in float32 as numpy sums a
    row.
    """
    cost = np.zeros((smooth.shape[0], doubled.size), dtype=np.float32)
    smooth_reversed = np.ascontiguousarray(smooth[:, ::-1])
    difference = np.empty_like(smooth)  # reused: no new arrays per candidate midline
    for index, twice in enumerate(doubled):
        reflected, filled = _reflected_about(smooth_reversed, int(twice))
        width = reflected.shape[1]
        np.subtract(smooth[:, filled], reflected, out=difference[:, :width])
        cost[:, index] = np.abs(difference[:, :width], out=difference[:, :width]).sum(axis=1)
    return cost


def _mirror_weights(bone: NDArray[np.bool_], doubled: NDArray[np.int_]) -> NDArray[np.int64]:
    """Return, per row and candidate midline (twice its column), the bone pixels on either side.

    That is how many of the columns whose reflection stays inside the view are bone or reflect onto
    bone: twice the bone among those columns (they reflect onto one another) less the bone that
    reflects onto bone, the row's self-convolution at ``twice``. The convolution is taken by FFT, just
    long enough that the candidates' terms do not wrap around, and rounded: a whole number of at most
    the row's width, far within float64's exactness.
    """
    columns = bone.shape[1]
    before = np.zeros((bone.shape[0], columns + 1), dtype=np.int32)
    np.cumsum(bone.view(np.uint8), axis=1, dtype=np.int32, out=before[:, 1:])
    inside = (doubled >= 0) & (doubled <= 2 * columns - 2)
    twice = np.clip(doubled, 0, 2 * columns - 2)
    low, high = np.maximum(twice - columns + 1, 0), np.minimum(twice, columns - 1)
    among = before[:, high + 1] - before[:, low]
    # a circular convolution of length n holds the linear one at t when t < n and t + n > 2 * columns - 2
    length = fft.next_fast_len(max(int(twice.max()) + 1, 2 * columns - 1 - int(twice.min())), real=True)
    spectrum = fft.rfft(bone.astype(np.float64), n=length, axis=1)
    both = np.rint(fft.irfft(spectrum * spectrum, n=length, axis=1)[:, twice]).astype(np.int64)
    return np.where(inside, 2 * among.astype(np.int64) - both, 0)


def _from_other_side(
    smoothed: NDArray[np.float32],
    bone: NDArray[np.bool_],
    midline: NDArray[np.intp],
    spacing_mm: tuple[float, float],
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.bool_]]:
    reflected, inside = reflect(smoothed, midline)
    other_bone = _reflect_mask(bone, midline)
    shift = 2 * round(_pixels(POSTURE_SHIFT_MM, spacing_mm)) + 1
    forgiving = ndimage.grey_erosion(reflected, size=(shift, shift))
    balance = _pixels(SIDE_BALANCE_MM, spacing_mm)
    this_side = _broad_mean(np.where(bone, smoothed, 0), balance)
    that_side = _broad_mean(np.where(other_bone, reflected, 0), balance)
    scale = this_side / np.maximum(that_side, 1e-6)
    return (
        np.asarray(scale * forgiving, dtype=np.float32),
        np.asarray(scale * reflected, dtype=np.float32),
        inside & other_bone,
    )


def _broad_mean(image: NDArray[np.floating], sigma_px: float) -> NDArray[np.float32]:
    """Smooth ``image`` with a wide Gaussian on a grid :data:`_COARSE_STEP` times coarser (faster)."""
    step = _COARSE_STEP
    rows, columns = image.shape
    padded = np.pad(image, ((0, -rows % step), (0, -columns % step)), mode="edge")
    coarse = padded.reshape(padded.shape[0] // step, step, padded.shape[1] // step, step).mean(axis=(1, 3))
    smooth = ndimage.gaussian_filter(coarse, sigma_px / step)
    fine = zoomed(smooth, step)
    return np.asarray(fine[:rows, :columns], dtype=np.float32)


def _from_vertebrae(smoothed: NDArray[np.float32], spacing_mm: tuple[float, float]) -> NDArray[np.float32]:
    lowest = max(round(VERTEBRA_MIN_MM / spacing_mm[0]), 1)
    highest = max(round(VERTEBRA_MAX_MM / spacing_mm[0]), lowest)
    padded = np.pad(smoothed, ((highest, highest), (0, 0)), mode="edge")
    rows = smoothed.shape[0]
    median = _median if not np.isnan(smoothed).any() else lambda planes: np.median(planes, axis=0)
    above = median([padded[highest - d : highest - d + rows] for d in range(lowest, highest + 1)])
    below = median([padded[highest + d : highest + d + rows] for d in range(lowest, highest + 1)])
    lower, higher = np.minimum(above, below), np.maximum(above, below)
    agree = higher <= VERTEBRA_AGREEMENT * lower
    return np.asarray(np.where(agree, 0.5 * (above + below), lower), dtype=np.float32)


def _median(planes: list[NDArray[np.float32]]) -> NDArray[np.float32]:
    """Return ``np.median(planes, axis=0)`` of float32 images without NaN, much faster.

    Each pixel's values are sorted by an odd-even transposition network (as many rounds as values,
    each a compare-and-exchange of neighbours by ``np.minimum`` and ``np.maximum``, which are exact),
    then the middle one is taken, or the mean of the middle two as numpy takes it.
    """
    ranked = [np.array(plane, dtype=np.float32) for plane in planes]
    count = len(ranked)
    for round_ in range(count):
        for index in range(round_ % 2, count - 1, 2):
            lower = np.minimum(ranked[index], ranked[index + 1])
            np.maximum(ranked[index], ranked[index + 1], out=ranked[index + 1])
            ranked[index] = lower
    middle = count // 2
    if count % 2:
        return ranked[middle]
    return np.asarray((ranked[middle - 1] + ranked[middle]) / 2, dtype=np.float32)


def defect_reference(
    counts: NDArray[np.floating],
    labels: NDArray[np.uint8],
    spacing_mm: tuple[float, float],
    *,
    midline_smoothed: NDArray[np.float32] | None = None,
) -> DefectReference:
    """Estimate what the bone of one view would show without photopenic defects.

    Parameters
    ----------
    counts : ndarray
        The view's counts (upright).
    labels : ndarray of uint8
        Its region labels.
    spacing_mm : tuple of float
        Its pixel spacing (row, column).
    midline_smoothed : ndarray of float32, optional
        The counts smoothed with a Gaussian of :data:`MIDLINE_SMOOTHING_PX`, when the caller has them
        (:func:`bonescan.detect.reference.normal_uptake` does); computed here otherwise.

    Returns
    -------
    DefectReference
        The smoothed counts, their expected values, and where the expectation is known.
    """
    sigma = _pixels(DEFECT_SIGMA_MM, spacing_mm)
    smoothed = np.asarray(
        ndimage.gaussian_filter(np.asarray(counts, dtype=np.float32), sigma), dtype=np.float32
    )
    bone = _BONE_LABELS[labels]
    midline = (
        midline_columns(counts, bone, spacing_mm)
        if midline_smoothed is None
        else _midline_of_smoothed(midline_smoothed, bone, spacing_mm)
    )
    mirrored, reflection, mirror_known = _from_other_side(smoothed, bone, midline, spacing_mm)
    organ_opposite = _reflect_mask(_ORGANS[labels], midline)
    margin = 2 * _pixels(SELF_MARGIN_MM, spacing_mm)
    away = np.abs(2 * np.arange(counts.shape[1])[None, :] - midline[:, None]) >= margin
    inner = shrunk(bone, EDGE_PX) & _COMPARED[labels]
    by_side = inner & mirror_known & away & ~organ_opposite
    by_vertebrae = shrunk(inner & _VERTICAL[labels] & ~by_side)
    expected = mirrored
    if by_vertebrae.any():
        used = np.nonzero(by_vertebrae.any(axis=0))[0]
        window = slice(int(used[0]), int(used[-1]) + 1)  # each column is its own reference
        expected = mirrored.copy()
        vertebral = _from_vertebrae(smoothed[:, window], spacing_mm)
        expected[:, window] = np.where(by_vertebrae[:, window], vertebral, mirrored[:, window])
    return DefectReference(
        smoothed=smoothed,
        expected=np.asarray(expected, dtype=np.float32),
        comparable=by_side | by_vertebrae,
        midline=midline,
        sigma_px=sigma,
        reflection=np.asarray(np.where(by_side, reflection, expected), dtype=np.float32),
        by_side=by_side,
    )
