"""Normal uptake per view: the levels that hot and cold spots are measured against.

The view is smoothed with a Gaussian of 1 pixel (sigma) to tame Poisson noise. The **normal bone level**
is the median of the smoothed bone pixels after twice leaving out pixels above 1.8 times the current
median, so that metastases, a full bladder or kidneys do not raise it. Each bone region gets its **own
level**: the 60th percentile of its pixels, again after leaving out pixels above 1.8 times the running
level, because normal uptake differs between bones (the spine and the pelvis take up more than the
shafts of the long bones). Soft tissue is the median of body pixels at least 4 pixels from bone. The
kidneys' level is the median of the pixels labelled kidney at least 3 pixels from bone (ribs and spine
overlap them, and a super scan makes that bone bright), and their background the median of the soft
tissue beside them: pixels labelled soft tissue in the kidneys' rows, at least 4 pixels from bone and
kidney. The level map gives every pixel the level of
its region (pixels off bone take the nearest bone's) smoothed over 2 pixels so that region borders do
not make steps.

Lesions are judged against the **local background** of the bone around them: the largest grey-scale
opening of the view (smoothed with sigma 2 pixels) by straight lines of :data:`LOCAL_LINE_MM` in eight
directions. A bone longer than the line in some direction (a rib, a shaft, the spine, the rim of the
skull) survives the opening along that direction and is its own background; a focal spot narrower
than the line in every direction is removed, so the spot stands out against the bone next to it.

Photopenic defects are judged against what the bone would show without them: the same place on the
other side, or the vertebrae above and below (:mod:`bonescan.detect.photopenia`); the **local
ceiling** (the largest closing by the same lines) tells a focal defect from a bone that is faint all
over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from bonescan import _body
from bonescan._masks import grown, values_by_label
from bonescan._zoom import zoomed
from bonescan.anatomy.model import ViewAnatomy
from bonescan.detect.model import UptakeReference
from bonescan.detect.photopenia import MIDLINE_SMOOTHING_PX, DefectReference, defect_reference
from bonescan.regions import bone_regions, region
from bonescan.study import View

__all__ = [
    "BROAD_LINE_MM",
    "LOCAL_LINE_MM",
    "SMOOTHING_SIGMA_PX",
    "NormalUptake",
    "bone_label_mask",
    "local_background",
    "normal_uptake",
]

SMOOTHING_SIGMA_PX = 1.0
_EXCLUDE_ABOVE = 1.8
_REGION_PERCENTILE = 60.0
_MIN_REGION_PX = 12
_KIDNEY_LABELS = (region("kidney_left").label, region("kidney_right").label)
_SOFT_TISSUE_LABEL = region("soft_tissue").label
_KIDNEY_BONE_GAP_PX = 3
_SOFT_TISSUE_GAP_PX = 4
_LEVEL_SMOOTHING_PX = 2.0
_BACKGROUND_SMOOTHING_PX = 2.0
_DIRECTIONS = 8
LOCAL_LINE_MM = 56.0
#: The longer line of the broad background, against which large lesions stand out.
BROAD_LINE_MM = 112.0


@dataclass(frozen=True, eq=False)
class NormalUptake:
    """The smoothed view, its level map and the reference figures of one view."""

    smoothed: NDArray[np.float32]
    level: NDArray[np.float32]
    bone: NDArray[np.bool_]
    nearest_label: NDArray[np.uint8]
    local: NDArray[np.float32]
    broad: NDArray[np.float32]
    ceiling: NDArray[np.float32]
    defect: DefectReference
    reference: UptakeReference

    @cached_property
    def contrast(self) -> NDArray[np.float32]:
        """Smoothed uptake over the local background of the bone around each pixel."""
        return np.asarray(self.smoothed / np.maximum(self.local, 1e-3), dtype=np.float32)

    @cached_property
    def log_uptake(self) -> NDArray[np.float32]:
        """Log of the smoothed uptake over the normal bone level (floored at 0.05)."""
        level = max(self.reference.normal_bone, 1e-3)
        return np.asarray(np.log(np.maximum(self.smoothed / level, 0.05)), dtype=np.float32)

    @cached_property
    def log_contrast(self) -> NDArray[np.float32]:
        """Log of the local contrast (floored at 0.05)."""
        return np.asarray(np.log(np.maximum(self.contrast, 0.05)), dtype=np.float32)

    @cached_property
    def deficit(self) -> NDArray[np.float32]:
        """Smoothed uptake over the local ceiling: below 1 in a photopenic defect."""
        return np.asarray(self.smoothed / np.maximum(self.ceiling, 1e-3), dtype=np.float32)

    @cached_property
    def ratio(self) -> NDArray[np.float32]:
        """Smoothed uptake over the normal level of each pixel's region."""
        return np.asarray(self.smoothed / np.maximum(self.level, 1e-3), dtype=np.float32)


def _line(length: int, angle: float) -> NDArray[np.bool_]:
    half = length // 2
    footprint = np.zeros((2 * half + 1, 2 * half + 1), dtype=bool)
    steps = np.linspace(-half, half, 4 * length)
    rows = np.rint(half - steps * np.sin(angle)).astype(int)
    columns = np.rint(half + steps * np.cos(angle)).astype(int)
    footprint[rows, columns] = True
    return footprint


def local_background(
    pixels: NDArray[np.float32],
    spacing_mm: tuple[float, float],
    line_mm: float = LOCAL_LINE_MM,
    *,
    ceiling: bool = False,
) -> NDArray[np.float32]:
    """Return the largest opening of ``pixels`` by lines of ``line_mm`` in eight directions.

    The view is smoothed first (sigma 2 pixels); see :func:`_shaped_background` for the rest. With
    ``ceiling`` it is the largest closing instead, which fills a photopenic defect with the level of the
    bone on both sides of it along the direction that crosses it (the spine's axis for a vertebral
    defect); it is meant for pixels inside bone, since it also fills the gaps between bones.
    """
    smooth = np.asarray(ndimage.gaussian_filter(pixels, _BACKGROUND_SMOOTHING_PX), dtype=np.float32)
    return _shaped_background(smooth, spacing_mm, line_mm, ceiling=ceiling)


def _shaped_background(
    smooth: NDArray[np.float32], spacing_mm: tuple[float, float], line_mm: float, *, ceiling: bool
) -> NDArray[np.float32]:
    """Open (or close) an already smoothed view by lines in eight directions, on a coarser grid.

    The work is done at half resolution (a quarter for lines longer than :data:`LOCAL_LINE_MM`) and
    interpolated back; the result is capped by the smoothed view itself, as an opening (closing) is.
    """
    step = 4 if line_mm > LOCAL_LINE_MM else 2  # a longer line tolerates a coarser grid
    length = max(5, round(line_mm / (step * float(np.mean(spacing_mm)))))
    coarse = smooth[::step, ::step]  # the smoothed view varies slowly: work on a coarser grid, much faster
    background = np.zeros_like(coarse)
    for index in range(_DIRECTIONS):
        footprint = _line(length, math.pi * index / _DIRECTIONS)
        first = _extreme(coarse, footprint, minimum=not ceiling)
        shaped = _extreme(first, footprint[::-1, ::-1], minimum=ceiling)
        np.maximum(background, shaped, out=background)
    full = zoomed(background, step)[: smooth.shape[0], : smooth.shape[1]]
    if full.shape != smooth.shape:
        full = np.pad(
            full, [(0, smooth.shape[0] - full.shape[0]), (0, smooth.shape[1] - full.shape[1])], mode="edge"
        )
    capped = np.maximum(full, smooth) if ceiling else np.minimum(full, smooth)
    return np.asarray(capped, dtype=np.float32)


def _extreme(
    image: NDArray[np.float32], footprint: NDArray[np.bool_], *, minimum: bool
) -> NDArray[np.float32]:
    """Return the least (or largest) value of ``image`` over ``footprint`` about each pixel.

    The values of ``ndimage.minimum_filter`` (``maximum_filter``) with that (odd-sized) footprint and its
    default mode (reflect): ``grey_opening`` is the maximum over the reversed footprint of the minimum, a
    closing the other way round. The footprint is taken as runs of pixels along one direction
    (:func:`_runs_of`): the extreme over each run length comes from shifted slices of the padded image,
    doubling the length at each step, then one shifted slice per run. The extreme of a set of values is
    one of them, whatever the order they are compared in; for the thin lines used here, several times
    faster than the filter.
    """
    half_rows, half_columns = footprint.shape[0] // 2, footprint.shape[1] // 2
    padded = _symmetric_padded(image, half_rows, half_columns)
    rows, columns = image.shape
    reduce = np.minimum if minimum else np.maximum
    direction, runs = _runs_of(footprint.tobytes(), footprint.shape)
    along = _extremes_along(padded, direction, {length for _, _, length in runs}, reduce)
    (row, column, length), *others = runs
    out = np.array(along[length][row : row + rows, column : column + columns])
    for row, column, length in others:
        reduce(out, along[length][row : row + rows, column : column + columns], out=out)
    return out


def _symmetric_padded(image: NDArray[np.float32], rows: int, columns: int) -> NDArray[np.float32]:
    """Return ``np.pad(image, ((rows, rows), (columns, columns)), mode="symmetric")``, faster.

    The image is copied into the middle and each margin is the mirror image (edge included) of the
    pixels next to it, first above and below, then left and right of the whole height. Margins
    wider than the image are left to numpy.
    """
    height, width = image.shape
    if rows > height or columns > width:
        return np.pad(image, ((rows, rows), (columns, columns)), mode="symmetric")
    padded = np.empty((height + 2 * rows, width + 2 * columns), dtype=image.dtype)
    middle = slice(columns, columns + width)
    padded[rows : rows + height, middle] = image
    padded[:rows, middle] = image[:rows][::-1]
    padded[rows + height :, middle] = image[height - rows :][::-1]
    padded[:, :columns] = padded[:, columns : 2 * columns][:, ::-1]
    padded[:, columns + width :] = padded[:, width : columns + width][:, ::-1]
    return padded


_RUN_DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))


_Run = tuple[int, int, int]


@lru_cache(maxsize=64)
def _runs_of(footprint: bytes, shape: tuple[int, int]) -> tuple[tuple[int, int], tuple[_Run, ...]]:
    """Return the direction and the runs (first pixel, length) that cover a footprint most cheaply.

    Each run is a maximal line of the footprint's pixels along the direction; the cost counts the
    doublings its lengths take and one step per run after the first.
    """
    pixels = {
        (int(row), int(column)) for row, column in np.argwhere(np.frombuffer(footprint, bool).reshape(shape))
    }
    plans = [(direction, _runs_along(pixels, direction)) for direction in _RUN_DIRECTIONS]
    return min(plans, key=lambda plan: _cost(plan[1]))


def _runs_along(pixels: set[tuple[int, int]], direction: tuple[int, int]) -> tuple[_Run, ...]:
    """Return the maximal runs of ``pixels`` along ``direction``: first pixel and length."""
    step_row, step_column = direction
    runs = []
    for row, column in sorted(pixels):
        if (row - step_row, column - step_column) not in pixels:  # the first pixel of its run
            length = 1
            while (row + length * step_row, column + length * step_column) in pixels:
                length += 1
            runs.append((row, column, length))
    return tuple(runs)


def _cost(runs: tuple[_Run, ...]) -> int:
    """Return how many shifted extremes ``runs`` take: doublings, one per other length, one per run."""
    lengths = {length for _, _, length in runs}
    return (
        max(lengths).bit_length() - 1 + sum(1 for length in lengths if length & (length - 1)) + len(runs) - 1
    )


def _extremes_along(
    padded: NDArray[np.float32], direction: tuple[int, int], lengths: set[int], reduce: np.ufunc
) -> dict[int, NDArray[np.float32]]:
    """Return, per length, the extreme over that many pixels from each pixel along ``direction``.

    Each array has the padded image's shape; only the pixels whose run stays inside it are filled.
    """
    along = {1: padded}
    span = 1
    while span * 2 <= max(lengths):
        along[span * 2] = _shifted_extreme(along[span], direction, span, reduce)
        span *= 2
    for length in lengths - along.keys():
        power = 1 << (length.bit_length() - 1)
        along[length] = _shifted_extreme(along[power], direction, length - power, reduce)
    return along


def _shifted_extreme(
    image: NDArray[np.float32], direction: tuple[int, int], shift: int, reduce: np.ufunc
) -> NDArray[np.float32]:
    """Return the extreme of each pixel and the one ``shift`` steps along ``direction`` (where both exist)."""
    out = np.empty_like(image)
    rows, columns = image.shape
    down, across = direction[0] * shift, direction[1] * shift
    here = (slice(0, rows - down), slice(max(-across, 0), columns - max(across, 0)))
    there = (slice(down, rows), slice(max(across, 0), columns + min(across, 0)))
    reduce(image[here], image[there], out=out[here])
    return out


def bone_label_mask(labels: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """Return the pixels labelled with any bone region."""
    table = np.zeros(256, dtype=bool)
    for entry in bone_regions():
        table[entry.label] = True
    return np.asarray(table[labels])


def _robust_level(values: NDArray[np.float32], percentile: float) -> float:
    level = _percentile(values, percentile)
    used = values.size
    for _ in range(2):
        kept = values[values <= _EXCLUDE_ABOVE * level]
        if kept.size == 0:
            break
        if kept.size != used:  # else the same values (all at most a threshold): the same level
            level, used = _percentile(kept, percentile), kept.size
    return level


def _percentile(values: NDArray[np.floating], percentile: float) -> float:
    """Return ``float(np.percentile(values, percentile))`` of a 1-D float array, with less overhead.

    The same order statistics, taken by one partition, and numpy's linear interpolation between
    them, in the array's precision as numpy does it for a percentile given as a Python float; arrays
    with NaN, empty ones and others than float32 and float64 are left to numpy.
    """
    count = values.size
    if count == 0 or values.dtype not in (np.float32, np.float64) or np.isnan(values.max()):
        return float(np.percentile(values, percentile))
    virtual = (count - 1) * np.true_divide(percentile, 100)
    below = count - 1 if virtual >= count - 1 else math.floor(virtual)
    above = min(below + 1, count - 1)
    ranked = np.partition(values, (below, above) if above != below else below)
    low, high = ranked[below], ranked[above]
    gamma = float(virtual - (-1 if virtual >= count - 1 else below))
    step = values.dtype.type
    difference = high - low
    if gamma >= 0.5:
        return float(high - difference * step(1 - gamma))
    return float(low + difference * step(gamma))


def _region_levels(smoothed: NDArray[np.float32], labels: NDArray[np.uint8]) -> dict[str, float]:
    levels = {}
    by_label = values_by_label(labels, smoothed)
    for entry in bone_regions():
        values = by_label.get(entry.label)
        if values is not None and values.size >= _MIN_REGION_PX:
            levels[entry.name] = _robust_level(values, _REGION_PERCENTILE)
    return levels


def _kidney_levels(
    smoothed: NDArray[np.float32], labels: NDArray[np.uint8], bone: NDArray[np.bool_]
) -> tuple[float | None, float | None]:
    """Return the kidneys' level and that of the soft tissue beside them (None when not measured).

    Only the kidneys' rows matter, so the work is done on them and the few rows a dilation reaches.
    """
    kidneys = np.isin(labels, _KIDNEY_LABELS)
    if int(kidneys.sum()) < _MIN_REGION_PX:
        return None, None
    rows = np.flatnonzero(kidneys.any(axis=1))
    reach = max(_KIDNEY_BONE_GAP_PX, _SOFT_TISSUE_GAP_PX)
    top = max(int(rows[0]) - reach, 0)
    band = slice(top, int(rows[-1]) + reach + 1)
    kidneys, near_bone, counts = kidneys[band], bone[band], smoothed[band]
    clear = kidneys & ~grown(near_bone, _KIDNEY_BONE_GAP_PX)
    level = float(np.median(counts[clear if int(clear.sum()) >= _MIN_REGION_PX else kidneys]))
    beside = np.zeros_like(kidneys)
    beside[rows[0] - top : rows[-1] - top + 1] = True
    beside &= labels[band] == _SOFT_TISSUE_LABEL
    beside &= ~grown(near_bone | kidneys, _SOFT_TISSUE_GAP_PX)
    background = float(np.median(counts[beside])) if int(beside.sum()) >= _MIN_REGION_PX else None
    return level, background


def _level_map(
    labels: NDArray[np.uint8], bone: NDArray[np.bool_], levels: dict[str, float], fallback: float
) -> tuple[NDArray[np.float32], NDArray[np.uint8]]:
    by_label = np.full(256, fallback, dtype=np.float32)
    for entry in bone_regions():
        by_label[entry.label] = levels.get(entry.name, fallback)
    if not bone.any():
        return np.full(labels.shape, fallback, dtype=np.float32), labels
    indices = ndimage.distance_transform_edt(~bone, return_distances=False, return_indices=True)
    nearest = labels[indices[0], indices[1]]
    level = ndimage.gaussian_filter(by_label[nearest], _LEVEL_SMOOTHING_PX)
    return np.asarray(level, dtype=np.float32), np.asarray(nearest, dtype=np.uint8)


def normal_uptake(view: View, anatomy: ViewAnatomy) -> NormalUptake:
    """Measure the normal uptake of one view from its counts and its region labels.

    Parameters
    ----------
    view : View
        The view (upright counts).
    anatomy : ViewAnatomy
        Its region labels.

    Returns
    -------
    NormalUptake
        The smoothed view, the per-pixel normal level and the reference figures.
    """
    smoothed = np.asarray(ndimage.gaussian_filter(view.counts, SMOOTHING_SIGMA_PX), dtype=np.float32)
    bone = bone_label_mask(anatomy.labels)
    normal = _robust_level(smoothed[bone], 50.0) if bone.any() else float(smoothed.max())
    far_from_bone = anatomy.body & ~grown(bone, _SOFT_TISSUE_GAP_PX)
    soft = float(np.median(smoothed[far_from_bone])) if far_from_bone.any() else 0.0
    levels = _region_levels(smoothed, anatomy.labels)
    level, nearest = _level_map(anatomy.labels, bone, levels, normal)
    kidneys, beside_kidneys = _kidney_levels(smoothed, anatomy.labels, bone)
    reference = UptakeReference(view.name, normal, soft, levels, kidneys, beside_kidneys)
    background = _body.smoothed(view.counts, _BACKGROUND_SMOOTHING_PX)  # shared with the outline
    spacing = view.pixel_spacing_mm
    local = _shaped_background(background, spacing, LOCAL_LINE_MM, ceiling=False)
    broad = _shaped_background(background, spacing, BROAD_LINE_MM, ceiling=False)
    ceiling = _shaped_background(background, spacing, LOCAL_LINE_MM, ceiling=True)
    same_smoothing = _BACKGROUND_SMOOTHING_PX == MIDLINE_SMOOTHING_PX  # then the midline reuses it
    defect = defect_reference(
        view.counts, anatomy.labels, spacing, midline_smoothed=background if same_smoothing else None
    )
    return NormalUptake(smoothed, level, bone, nearest, local, broad, ceiling, defect, reference)
