"""Hot and cold spots in one view, against the normal level of each pixel's region.

Counts are Poisson: a pixel of the view smoothed with a Gaussian of sigma ``s`` pixels whose normal
level is ``L`` has a standard deviation of ``sqrt(L / (4 pi s^2))``. A pixel is **hot** when its uptake
ratio (smoothed counts over its region's level) is at least :data:`HOT_RATIO` and it lies at least
:data:`PIXEL_Z` standard deviations above the level; **cold** when the ratio is at most
:data:`COLD_RATIO`, it lies that far below, and it sits inside bone (two pixels in from the edge of
the labelled bone, with bone around it) so that the dim margins of a bone do not count. Connected
pixels (8-neighbourhood) form a spot; a spot is kept when its raw counts differ from the normal
expectation by at least :data:`SPOT_Z` standard deviations over its whole area and it covers at least
:data:`MIN_HOT_PX` (hot) or :data:`MIN_COLD_PX` (cold) pixels.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from bonescan.anatomy.model import ViewAnatomy
from bonescan.detect.measure import ViewGeometry, measure_spot, view_geometry
from bonescan.detect.model import ORGAN_SHARE, Spot, SpotKind
from bonescan.detect.reference import SMOOTHING_SIGMA_PX, NormalUptake
from bonescan.regions import region, region_by_label
from bonescan.study import View

__all__ = ["COLD_RATIO", "HOT_CONTRAST", "LARGE_RATIO", "PIXEL_Z", "SPOT_Z", "find_spots"]

HOT_CONTRAST = 1.3
LARGE_RATIO = 2.0
COLD_RATIO = 0.6
PIXEL_Z = 3.0
SPOT_Z = 6.0
MIN_HOT_PX = 4
MIN_COLD_PX = 6
_COLD_CORE_EROSION_PX = 2
_COLD_RING_PX = 3
_COLD_RING_MIN_RATIO = 0.8
_EIGHT = np.ones((3, 3), dtype=bool)
_PEAK_SMOOTHING_PX = 1.5
_PEAK_SEPARATION_PX = 9
_EFFECTIVE_PIXELS = 4.0 * math.pi * SMOOTHING_SIGMA_PX**2


def _z_map(normal: NormalUptake, local: bool = False) -> NDArray[np.float32]:
    level = np.maximum(normal.local if local else normal.level, 1e-3)
    return np.asarray((normal.smoothed - level) * np.sqrt(_EFFECTIVE_PIXELS / level), dtype=np.float32)


def _region_of(normal: NormalUptake, labels: NDArray[np.uint8], row: int, column: int) -> str:
    label = labels[row, column] if normal.bone[row, column] else normal.nearest_label[row, column]
    return region_by_label(int(label)).name


_ORGANS = {region(name).label: name for name in ("bladder", "kidney_left", "kidney_right")}


def _organ(labels: NDArray[np.uint8]) -> str | None:
    for label, name in _ORGANS.items():
        if float((labels == label).mean()) >= ORGAN_SHARE:
            return name
    return None


def _make_spot(
    view: View,
    kind: SpotKind,
    pixels: tuple[NDArray[np.intp], NDArray[np.intp]],
    normal: NormalUptake,
    labels: NDArray[np.uint8],
    geometry: ViewGeometry,
) -> Spot:
    rows, columns = pixels
    ratio = normal.ratio[rows, columns]
    extreme = int(np.argmax(ratio) if kind is SpotKind.HOT else np.argmin(ratio))
    background = np.minimum(normal.local, normal.level) if kind is SpotKind.HOT else normal.level
    expected = float(background[rows, columns].sum())
    observed = float(view.counts[rows, columns].sum())
    pixel_mm2 = view.pixel_spacing_mm[0] * view.pixel_spacing_mm[1]
    region_name = _region_of(normal, labels, int(rows[extreme]), int(columns[extreme]))
    contrast = float(normal.contrast[rows, columns].max()) if kind is SpotKind.HOT else 1.0
    return Spot(
        view=view.name,
        kind=kind,
        rows=rows,
        columns=columns,
        region=region_name,
        area_mm2=rows.size * pixel_mm2,
        peak_ratio=float(ratio[extreme]),
        mean_ratio=float(ratio.mean()),
        significance=(observed - expected) / math.sqrt(max(expected, 1.0)),
        bone_fraction=float(normal.bone[rows, columns].mean()),
        normal_ratio=float(normal.smoothed[rows, columns].mean() / max(normal.reference.normal_bone, 1e-3)),
        local_contrast=contrast,
        measures=measure_spot(rows, columns, normal.smoothed, labels, region(region_name).label, geometry),
        pixel_spacing_mm=view.pixel_spacing_mm,
        organ=_organ(labels[rows, columns]),
    )


def _components(
    mask: NDArray[np.bool_] | NDArray[np.int32], minimum: int
) -> list[tuple[NDArray[np.intp], NDArray[np.intp]]]:
    """Return the pixels of each spot: connected pieces of a mask, or the labels of a labelled image."""
    if mask.dtype == bool:
        labelled, count = ndimage.label(mask, structure=_EIGHT)
    else:
        labelled, count = mask, int(mask.max())
    if count == 0:
        return []
    found = ndimage.find_objects(labelled)
    pieces = []
    for index, window in enumerate(found, start=1):
        if window is None:
            continue
        local = np.nonzero(labelled[window] == index)
        if local[0].size >= minimum:
            pieces.append((local[0] + window[0].start, local[1] + window[1].start))
    return pieces


def _split_at_peaks(candidate: NDArray[np.bool_], smoothed: NDArray[np.float32]) -> NDArray[np.int32]:
    """Label ``candidate`` so that each uptake peak gets its own spot (watershed from the peaks)."""
    peaks_image = ndimage.gaussian_filter(smoothed, _PEAK_SMOOTHING_PX)
    peaks = candidate & (peaks_image == ndimage.maximum_filter(peaks_image, size=_PEAK_SEPARATION_PX))
    markers = np.zeros(candidate.shape, dtype=np.int32)
    rows, columns = np.nonzero(peaks)
    markers[rows, columns] = np.arange(1, rows.size + 1, dtype=np.int32)
    markers[~ndimage.binary_dilation(candidate)] = -1
    top = float(peaks_image[candidate].max()) if candidate.any() else 1.0
    cost = np.asarray(np.clip(65535.0 * (1.0 - peaks_image / max(top, 1e-6)), 0, 65535), dtype=np.uint16)
    flooded = ndimage.watershed_ift(cost, markers)
    flooded[~candidate] = 0
    return np.asarray(np.maximum(flooded, 0), dtype=np.int32)


def _hot_spots(
    view: View,
    normal: NormalUptake,
    labels: NDArray[np.uint8],
    body: NDArray[np.bool_],
    geometry: ViewGeometry,
) -> list[Spot]:
    focal = (normal.contrast >= HOT_CONTRAST) & (_z_map(normal, local=True) >= PIXEL_Z)
    broad = (normal.ratio >= LARGE_RATIO) & (_z_map(normal) >= PIXEL_Z)
    candidate = body & (focal | broad)
    pieces = _components(_split_at_peaks(candidate, normal.smoothed), MIN_HOT_PX)
    spots = [_make_spot(view, SpotKind.HOT, pixels, normal, labels, geometry) for pixels in pieces]
    return [spot for spot in spots if spot.significance >= SPOT_Z]


def _surrounded_by_bone(pixels: tuple[NDArray[np.intp], NDArray[np.intp]], normal: NormalUptake) -> bool:
    shape = normal.bone.shape
    spot = np.zeros(shape, dtype=bool)
    spot[pixels] = True
    ring = ndimage.binary_dilation(spot, iterations=_COLD_RING_PX) & ~spot & normal.bone
    if ring.sum() < pixels[0].size:
        return False
    return float(normal.ratio[ring].mean()) >= _COLD_RING_MIN_RATIO


def _cold_spots(
    view: View, normal: NormalUptake, labels: NDArray[np.uint8], geometry: ViewGeometry
) -> list[Spot]:
    core = ndimage.binary_erosion(normal.bone, iterations=_COLD_CORE_EROSION_PX)
    candidate = core & (normal.ratio <= COLD_RATIO) & (_z_map(normal) <= -PIXEL_Z)
    spots = []
    for pixels in _components(candidate, MIN_COLD_PX):
        if not _surrounded_by_bone(pixels, normal):
            continue
        spot = _make_spot(view, SpotKind.COLD, pixels, normal, labels, geometry)
        if spot.significance <= -SPOT_Z:
            spots.append(spot)
    return spots


def find_spots(view: View, anatomy: ViewAnatomy, normal: NormalUptake) -> list[Spot]:
    """Return the hot and cold spots of one view.

    Parameters
    ----------
    view : View
        The view (upright counts).
    anatomy : ViewAnatomy
        Its region labels and body outline.
    normal : NormalUptake
        Its normal uptake (:func:`~bonescan.detect.reference.normal_uptake`).

    Returns
    -------
    list of Spot
        Hot spots, then cold spots, each in reading order (top to bottom).
    """
    geometry = view_geometry(anatomy.labels, anatomy.body, view.pixel_spacing_mm)
    hot = _hot_spots(view, normal, anatomy.labels, anatomy.body, geometry)
    cold = _cold_spots(view, normal, anatomy.labels, geometry)
    return sorted(hot, key=lambda s: s.centroid) + sorted(cold, key=lambda s: s.centroid)
