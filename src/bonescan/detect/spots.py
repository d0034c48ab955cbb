"""Hot and cold spots in one view, against the bone around them.

Counts are Poisson: a pixel of the view smoothed with a Gaussian of sigma ``s`` pixels whose expected
level is ``L`` has a standard deviation of ``sqrt(L / (4 pi s^2))``. A pixel is **hot** when it lies at
least :data:`PIXEL_Z` standard deviations above its local background and its local contrast (smoothed
counts over that background, :mod:`bonescan.detect.reference`) is at least :data:`HOT_CONTRAST`, or,
for large lesions, when it reaches :data:`LARGE_RATIO` times its region's normal level. Hot pixels are
split at their uptake peaks (a watershed from each peak) so that a lesion beside a joint or the
bladder is a spot of its own. A pixel is **cold** when the bone there shows at most
:data:`COLD_CONTRAST` times what it would show without a defect (the same place on the other side,
or the vertebrae above and below: :mod:`bonescan.detect.photopenia`; a candidate found against the
unshifted other side is measured again against the other side registered on the bone around it)
and lies at least :data:`COLD_PIXEL_Z` standard deviations below it, the other side there is not a
hot spot (which would make a normal place look cold), what it is compared with is at most 1.5 times
the normal level of its own region (the region on the other side, when that is the reference: not a
lesion or urine), it lies at most :data:`COLD_FOCAL` times its local ceiling
(the bone around it on the same side: a hole, not a bone faint all over), and no urine outside the
bladder lies near it on either side. A place at most :data:`COLD_HOLE` times its local ceiling is a
clear hole: it may lie opposite a hot spot, and, compared with the other side, that side may be
brighter than 1.5 times its level (a normal hip or femoral neck is both, beside a femur whose level
the shaft sets) and, but in the skull, the place may reach :data:`COLD_HOLE_CONTRAST` of it. In the
spine and sternum, compared with the vertebrae above and below, a place may reach
:data:`COLD_VERTEBRA_CONTRAST` of them, and they at most :data:`COLD_VERTEBRA_REFERENCE_MAX` times
the spine's level. A spot is kept when its raw counts differ from the expectation by at least
:data:`SPOT_Z` standard deviations over its whole area and it covers at least :data:`MIN_HOT_PX`
(hot) or :data:`MIN_COLD_PX` (cold) pixels. The cold thresholds were chosen on training seeds 3401 and 3402,
the registration on 3605, and the clear hole on 3605 and 3606, with defects of 40-70% cut into their
scans (``docs/performance.md``): a defect must take about a third of what the other side shows, or,
when it is a clear hole in its own bone outside the skull, a fifth. The vertebral bounds were chosen
on training seed 3605 with its simulated myeloma and lytic deposits.

Extreme activity away from the bladder (:mod:`bonescan.anatomy.urine`, with a catheter's tube), with
the hot pixels joined to it, gives no other spot; its pixels at half its peak or more (the bag, not
the tube or the blurred rim) are a spot of their own whose organ is
:data:`~bonescan.detect.model.URINE`.

These thresholds find candidates generously; the classifier (:mod:`bonescan.classify`) decides which
candidates are findings and which are normal uptake.

A hot spot's **core** is the pixels whose excess over the local background is at least
:data:`CORE_FRACTION` of its peak's (its extent at half maximum). The Bone Scan Index counts the core:
the spot's outer edge lies where the uptake barely clears the thresholds, so it moves with the noise
of each acquisition, and blur and a neighbouring bladder or joint widen it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from types import EllipsisType

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from bonescan._masks import grown, pixels_by_label
from bonescan.anatomy.model import ViewAnatomy
from bonescan.detect.measure import ViewGeometry, measure_spot, view_geometry
from bonescan.detect.model import ORGAN_SHARE, Spot, SpotKind
from bonescan.detect.patches import spot_patch
from bonescan.detect.photopenia import DefectReference, PixelIndices, reflect
from bonescan.detect.plausible import facial_or, plausible_region
from bonescan.detect.reference import SMOOTHING_SIGMA_PX, NormalUptake
from bonescan.regions import region, region_by_label
from bonescan.study import View

__all__ = [
    "COLD_CONTRAST",
    "COLD_FOCAL",
    "COLD_HOLE",
    "COLD_HOLE_CONTRAST",
    "COLD_PIXEL_Z",
    "COLD_VERTEBRA_CONTRAST",
    "COLD_VERTEBRA_REFERENCE_MAX",
    "CORE_FRACTION",
    "HOT_CONTRAST",
    "LARGE_RATIO",
    "PIXEL_Z",
    "SPOT_Z",
    "find_spots",
]

HOT_CONTRAST = 1.3
#: The share of a hot spot's peak excess over its local background that its core pixels reach.
CORE_FRACTION = 0.5
LARGE_RATIO = 2.0
COLD_CONTRAST = 0.65
COLD_PIXEL_Z = 5.0
COLD_FOCAL = 0.85
#: At most this share of the local ceiling a place is a clear hole in its bone (see ``_cold_bounds``).
COLD_HOLE = 0.5
#: In a clear hole compared with the other side, the counts may reach this share of the reference.
COLD_HOLE_CONTRAST = 0.8
#: At most this share of the vertebrae above and below a place in the spine or sternum is cold.
COLD_VERTEBRA_CONTRAST = 0.75
#: ... and those vertebrae show at most this many times the spine's normal level (not hot ones).
COLD_VERTEBRA_REFERENCE_MAX = 1.2
PIXEL_Z = 3.0
SPOT_Z = 6.0
MIN_HOT_PX = 4
MIN_COLD_PX = 12
_COLD_REFERENCE_MAX = 1.5
_SKULL_AND_FACE = np.zeros(256, dtype=bool)
_SKULL_AND_FACE[[region("skull").label, region("facial_mandible").label]] = True
_HOT_MARGIN_PX = 3
_URINE_MARGIN_PX = 12
_URINE_CORE_FRACTION = 0.5
_EIGHT = np.ones((3, 3), dtype=bool)
_PEAK_SMOOTHING_PX = 1.5
_PEAK_SEPARATION_PX = 9
#: Reach of the peak search: the peak smoothing's (4 sigma) and the peak separation's.
_SPLIT_MARGIN_PX = int(4.0 * _PEAK_SMOOTHING_PX + 0.5) + _PEAK_SEPARATION_PX // 2
_EFFECTIVE_PIXELS = 4.0 * math.pi * SMOOTHING_SIGMA_PX**2


def _z_map(normal: NormalUptake, local: bool = False) -> NDArray[np.float32]:
    level = np.maximum(normal.local if local else normal.level, 1e-3)
    return np.asarray((normal.smoothed - level) * np.sqrt(_EFFECTIVE_PIXELS / level), dtype=np.float32)


def _region_of(
    normal: NormalUptake,
    anatomy: ViewAnatomy,
    geometry: ViewGeometry,
    pixels: tuple[NDArray[np.intp], NDArray[np.intp]],
    peak: int,
) -> str:
    """Return the region of a spot: the plausible label under its ``peak``-th pixel, or the face."""
    row, column = int(pixels[0][peak]), int(pixels[1][peak])
    label = anatomy.labels[row, column] if normal.bone[row, column] else normal.nearest_label[row, column]
    checked = plausible_region(
        int(label), row, column, anatomy.labels, anatomy.landmarks, anatomy.body, geometry.body_length
    )
    return facial_or(region_by_label(checked).name, anatomy.labels[pixels])


_ORGANS = {region(name).label: name for name in ("bladder", "kidney_left", "kidney_right")}


def _organ(labels: NDArray[np.uint8], peak_label: int) -> str | None:
    """Return the organ a spot shows: its extreme pixel and a share of its pixels lie in the organ.

    The extreme pixel matters: a sacral or pelvic lesion beside the bladder shares pixels with the
    bladder's label but peaks on bone.
    """
    name = _ORGANS.get(peak_label)
    if name is not None and float((labels == peak_label).mean()) >= ORGAN_SHARE:
        return name
    return None


def _expected_and_observed(
    view: View,
    kind: SpotKind,
    pixels: tuple[NDArray[np.intp], NDArray[np.intp]],
    normal: NormalUptake,
    reference: DefectReference,
) -> tuple[float, float]:
    """Return the counts a spot's pixels would hold without it, and the counts they hold."""
    rows, columns = pixels
    if kind is SpotKind.HOT:
        background = np.minimum(normal.local[rows, columns], normal.level[rows, columns])
    else:
        background = reference.expected[rows, columns]
    return float(background.sum()), float(view.counts[rows, columns].sum())


def _significance(expected: float, observed: float) -> float:
    """Return how many Poisson standard deviations a spot's counts lie from what is expected there."""
    return (observed - expected) / math.sqrt(max(expected, 1.0))


def _make_spot(
    view: View,
    kind: SpotKind,
    pixels: tuple[NDArray[np.intp], NDArray[np.intp]],
    normal: NormalUptake,
    anatomy: ViewAnatomy,
    geometry: ViewGeometry,
    defect: DefectReference | None = None,
) -> Spot:
    """Measure a spot; a cold one against ``defect`` (by default the view's own defect reference)."""
    reference = normal.defect if defect is None else defect
    rows, columns = pixels
    labels = anatomy.labels
    ratio = normal.ratio[rows, columns]
    extreme = int(np.argmax(ratio) if kind is SpotKind.HOT else np.argmin(ratio))
    expected, observed = _expected_and_observed(view, kind, pixels, normal, reference)
    pixel_mm2 = view.pixel_spacing_mm[0] * view.pixel_spacing_mm[1]
    region_name = _region_of(normal, anatomy, geometry, pixels, extreme)
    hot = kind is SpotKind.HOT
    if hot:
        contrast = float(normal.contrast[rows, columns].max())
    else:  # how many times the bone around it exceeds the defect
        contrast = 1.0 / max(float(reference.ratio_at(pixels).min()), 1e-3)
    broad = float((normal.smoothed[rows, columns] / np.maximum(normal.broad[rows, columns], 1e-3)).max())
    return Spot(
        view=view.name,
        kind=kind,
        rows=rows,
        columns=columns,
        region=region_name,
        area_mm2=rows.size * pixel_mm2,
        peak_ratio=float(ratio[extreme]),
        mean_ratio=float(ratio.mean()),
        significance=_significance(expected, observed),
        bone_fraction=float(normal.bone[rows, columns].mean()),
        normal_ratio=float(normal.smoothed[rows, columns].mean() / max(normal.reference.normal_bone, 1e-3)),
        local_contrast=contrast,
        broad_contrast=broad if hot else 1.0,
        relative_row=(float(rows.mean()) - geometry.body_top) / max(geometry.body_length, 1.0),
        measures=measure_spot(rows, columns, normal.smoothed, labels, region(region_name).label, geometry),
        pixel_spacing_mm=view.pixel_spacing_mm,
        organ=_organ(labels[rows, columns], int(labels[rows[extreme], columns[extreme]])),
        patch=spot_patch(normal, geometry, float(rows.mean()), float(columns.mean())),
        core=_half_maximum_core(normal.contrast[rows, columns]) if hot else None,
    )


def _half_maximum_core(contrast: NDArray[np.float32]) -> NDArray[np.bool_]:
    """Return which pixels hold at least :data:`CORE_FRACTION` of the peak's excess over background.

    A spot with no excess anywhere (found against its region's level, not its local background) is
    all core.
    """
    excess = contrast - 1.0
    peak = float(excess.max())
    if peak <= 0.0:
        return np.ones(contrast.shape, dtype=bool)
    return np.asarray(excess >= CORE_FRACTION * peak)


def _components(
    mask: NDArray[np.bool_] | NDArray[np.int32], minimum: int
) -> list[tuple[NDArray[np.intp], NDArray[np.intp]]]:
    """Return the pixels of each spot: connected pieces of a mask, or the labels of a labelled image.

    Pieces of fewer than ``minimum`` pixels are left out.
    """
    if mask.dtype == bool:
        labelled: NDArray[np.integer] = np.asarray(ndimage.label(mask, structure=_EIGHT)[0])
    else:
        labelled = np.asarray(mask, dtype=np.int32)
    return [pixels for pixels in pixels_by_label(labelled) if pixels[0].size >= minimum]


def _split_at_peaks(candidate: NDArray[np.bool_], smoothed: NDArray[np.float32]) -> NDArray[np.int32]:
    """Label ``candidate`` so that each uptake peak gets its own spot (watershed from the peaks).

    The work is done on the candidate's rows grown by :data:`_SPLIT_MARGIN_PX` (the reach of the
    smoothing and of the peak search), and on its columns grown as much unless that reaches an edge of
    the view: every value read there is that of the whole view, and beyond lie only background
    markers, which no flooding reaches or changes. (``watershed_ift`` takes the last pixel of a row and
    the first of the next for neighbours; on a box narrower than the view they are background markers
    at both ends, which changes nothing, but where the box reaches a side of the view they need not
    be.)
    """
    labels = np.zeros(candidate.shape, dtype=np.int32)
    rows, columns = np.flatnonzero(candidate.any(axis=1)), np.flatnonzero(candidate.any(axis=0))
    if rows.size == 0:
        return labels
    margin = _SPLIT_MARGIN_PX
    left, right = int(columns[0]) - margin, int(columns[-1]) + margin + 1
    window = (
        slice(max(int(rows[0]) - margin, 0), int(rows[-1]) + margin + 1),
        slice(left, right) if left >= 0 and right <= candidate.shape[1] else slice(None),
    )
    labels[window] = _watershed_from_peaks(candidate[window], smoothed[window])
    return labels


def _watershed_from_peaks(candidate: NDArray[np.bool_], smoothed: NDArray[np.float32]) -> NDArray[np.int32]:
    """Return the watershed of ``candidate`` from its uptake peaks (see :func:`_split_at_peaks`)."""
    peaks_image = ndimage.gaussian_filter(smoothed, _PEAK_SMOOTHING_PX)
    peaks = candidate & (peaks_image == ndimage.maximum_filter(peaks_image, size=_PEAK_SEPARATION_PX))
    markers = np.zeros(candidate.shape, dtype=np.int32)
    rows, columns = np.nonzero(peaks)
    markers[rows, columns] = np.arange(1, rows.size + 1, dtype=np.int32)
    markers[~grown(candidate)] = -1
    top = float(peaks_image[candidate].max()) if candidate.any() else 1.0
    cost = np.asarray(np.clip(65535.0 * (1.0 - peaks_image / max(top, 1e-6)), 0, 65535), dtype=np.uint16)
    flooded = ndimage.watershed_ift(cost, markers)
    flooded[~candidate] = 0
    return np.asarray(np.maximum(flooded, 0), dtype=np.int32)


def _hot_spots(
    view: View,
    normal: NormalUptake,
    anatomy: ViewAnatomy,
    geometry: ViewGeometry,
) -> list[Spot]:
    focal = (normal.contrast >= HOT_CONTRAST) & (_z_map(normal, local=True) >= PIXEL_Z)
    broad = (normal.ratio >= LARGE_RATIO) & (_z_map(normal) >= PIXEL_Z)
    candidate = anatomy.body & (focal | broad)
    spots = []
    if anatomy.urine is not None:
        # the hot candidate pixels joined to it (its blurred rim and tube) are the same urine
        urine = ndimage.binary_propagation(anatomy.urine, structure=_EIGHT, mask=anatomy.urine | candidate)
        candidate &= ~urine
        for pixels in _components(urine, MIN_HOT_PX):
            bright = _bright_part(pixels, normal.smoothed)
            spots.append(_make_spot(view, SpotKind.HOT, bright, normal, anatomy, geometry).as_urine())
    pieces = _components(_split_at_peaks(candidate, normal.smoothed), MIN_HOT_PX)
    significant = [  # measured only when significant: most pieces are not, and measuring takes time
        pixels
        for pixels in pieces
        if _significance(*_expected_and_observed(view, SpotKind.HOT, pixels, normal, normal.defect)) >= SPOT_Z
    ]
    spots += [_make_spot(view, SpotKind.HOT, pixels, normal, anatomy, geometry) for pixels in significant]
    return [spot for spot in spots if spot.significance >= SPOT_Z]


def _bright_part(
    pixels: tuple[NDArray[np.intp], NDArray[np.intp]], smoothed: NDArray[np.float32]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Return the pixels of a urine region at half its peak or more: the bag, not its tube and rim."""
    values = smoothed[pixels]
    keep = values >= _URINE_CORE_FRACTION * float(values.max())
    return pixels[0][keep], pixels[1][keep]


def _cold_allowed(
    normal: NormalUptake, anatomy: ViewAnatomy, hot: list[Spot], clear_hole: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """Return where a cold spot may lie whatever the reference: a hole, away from hot spots and urine.

    A hot spot on the other side would make a normal place look cold, so its mirror image is left out
    where the other side is the reference (the spine, which the vertebrae above and below judge,
    reflects onto itself), except where the place is a ``clear_hole`` in its own bone
    (:data:`COLD_HOLE` of the local ceiling): a normal hip or shoulder joint is a hot candidate of its
    own, and would otherwise hide a defect of the femoral or humeral head and neck opposite it.
    """
    allowed = normal.deficit <= COLD_FOCAL  # a hole in the bone, not a bone that is faint all over
    hot_mask = np.zeros(allowed.shape, dtype=bool)
    for spot in hot:
        hot_mask[spot.rows, spot.columns] = True
    opposite_hot = normal.defect.reflected(grown(hot_mask, _HOT_MARGIN_PX))
    allowed &= ~(opposite_hot & normal.defect.by_side) | clear_hole
    if anatomy.urine is not None:  # urine on either side raises the counts a place is compared with
        near_urine = grown(anatomy.urine, _URINE_MARGIN_PX)
        allowed &= ~near_urine & ~normal.defect.reflected(near_urine)
    return np.asarray(allowed)


def _reference_levels(normal: NormalUptake) -> NDArray[np.float32]:
    """Return, per pixel, the normal level of the region a defect is compared with.

    Where the other side is the reference, that is the level of the region on the other side (a large
    defect lowers its own region's level, and the other side would then seem too bright to compare
    with); elsewhere the pixel's own region's level.
    """
    defect = normal.defect
    other_side, _ = reflect(normal.level, defect.midline)
    return np.asarray(np.where(defect.by_side, other_side, normal.level), dtype=np.float32)


def _below(
    defect: DefectReference,
    levels: NDArray[np.float32],
    ratio_limit: NDArray[np.float32],
    any_reference: NDArray[np.bool_],
    at: PixelIndices | EllipsisType = ...,
) -> NDArray[np.bool_]:
    """Return the pixels clearly below the reference ``defect``, where that reference is itself normal.

    A pixel is below when its counts are at most ``ratio_limit`` of the reference (see
    :func:`_cold_bounds`) and :data:`COLD_PIXEL_Z` standard deviations under it; the reference must be
    at most :data:`_COLD_REFERENCE_MAX` times ``levels`` (the vertebrae above and below, at most
    :data:`COLD_VERTEBRA_REFERENCE_MAX`: a normal vertebra between two hot ones is not a defect),
    except where ``any_reference`` is set. Judged on the whole view, or at the pixels ``at`` only
    (the same values there, without the whole view's).
    """
    below = (
        defect.comparable[at] & (defect.ratio_at(at) <= ratio_limit[at]) & (defect.z_at(at) >= COLD_PIXEL_Z)
    )
    most = np.where(defect.by_side[at], _COLD_REFERENCE_MAX, COLD_VERTEBRA_REFERENCE_MAX)
    return np.asarray(below & ((defect.expected[at] <= most * levels[at]) | any_reference[at]))


def _cold_bounds(
    normal: NormalUptake, labels: NDArray[np.uint8]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.float32]]:
    """Return the clear holes, those compared with the other side, and each pixel's ratio bound.

    A clear hole is a place at most :data:`COLD_HOLE` of its local ceiling. One compared with the other
    side is judged on two signs at once, each of which may then be weaker: its counts may reach
    :data:`COLD_HOLE_CONTRAST` of the reference (the same place on the other side is often a little
    fainter than the bone around the defect: a rib or the iliac wing does not mirror exactly), and the
    reference need not be at most :data:`_COLD_REFERENCE_MAX` times its level (the femoral head and
    neck take up more than the femur's level, which the shaft sets, and a defect there is compared
    with a normal place that is brighter still). Not so for the vertebrae above and below: between two
    hot vertebrae a normal one is a hole under the local ceiling, which spans them. The skull keeps
    :data:`COLD_CONTRAST`: its vault, seen face on in both views, is paler in the middle than the rim
    around it all over, so there the ceiling does not tell a defect (the real scan NM1 showed a cold
    spot in its forehead at 0.8). Against the vertebrae above and below, the bound is
    :data:`COLD_VERTEBRA_CONTRAST`: a lesion within one vertebra is narrower than the smoothing's reach.
    """
    clear_hole = normal.deficit <= COLD_HOLE
    by_side = clear_hole & normal.defect.by_side
    limit = np.where(by_side & ~_SKULL_AND_FACE[labels], COLD_HOLE_CONTRAST, COLD_CONTRAST)
    limit = np.where(normal.defect.by_vertebrae, COLD_VERTEBRA_CONTRAST, limit)
    return np.asarray(clear_hole), np.asarray(by_side), np.asarray(limit, dtype=np.float32)


def _cold_spots(
    view: View, normal: NormalUptake, anatomy: ViewAnatomy, geometry: ViewGeometry, hot: list[Spot]
) -> list[Spot]:
    clear_hole, hole_by_side, ratio_limit = _cold_bounds(normal, anatomy.labels)
    allowed = _cold_allowed(normal, anatomy, hot, clear_hole)
    levels = _reference_levels(normal)
    loose = replace(normal.defect, expected=normal.defect.reflection)  # the other side, unshifted
    candidate = allowed & _below(loose, levels, ratio_limit, hole_by_side)
    registered = normal.defect.registered(candidate, view.pixel_spacing_mm)
    rows, columns = np.nonzero(candidate)  # the registered reference is judged where the loose one found
    found = (rows, columns)
    dropped = ~_below(registered, levels, ratio_limit, hole_by_side, at=found)
    candidate[rows[dropped], columns[dropped]] = False
    spots = []
    for pixels in _components(candidate, MIN_COLD_PX):
        spot = _make_spot(view, SpotKind.COLD, pixels, normal, anatomy, geometry, registered)
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
    geometry = view_geometry(anatomy.labels, anatomy.body, view.pixel_spacing_mm, anatomy.landmarks)
    hot = _hot_spots(view, normal, anatomy, geometry)
    cold = _cold_spots(view, normal, anatomy, geometry, hot)
    return sorted(hot, key=lambda s: s.centroid) + sorted(cold, key=lambda s: s.centroid)
