"""The faster formulations give exactly the values of the scipy.ndimage and numpy calls they replace.

Each shortcut (mask growing and shrinking, filling holes, line openings and closings and extremes
over any footprint and the symmetric padding they take, linear zooms, the shared smoothing, the
reflection about the midline, the values and the pixels per label, the midline brightness of a band
of rows, the watershed from the uptake peaks on a box, the joint distances and the joint map, the
midline search's costs and weights, percentiles, covariances and medians, the cold reference at some
pixels, the spot pairs, the body outline and its midline, the nearest joint at one pixel) is
compared bit for bit with the call (or the loop) it stands for, on random images and masks of many
shapes, including the degenerate ones (one row, one column).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import ndimage

from bonescan._body import BodyExtent, _filled, body_mask, smoothed
from bonescan._masks import grown, grown_square, pixels_by_label, shrunk, values_by_label
from bonescan._zoom import zoomed
from bonescan.anatomy.segment import _nearest
from bonescan.detect.measure import JOINTS, ViewGeometry, _covariance, _distances, _joint_map
from bonescan.detect.model import URINE, SpotKind
from bonescan.detect.pairing import PAIRING_DISTANCE_MM, _candidate_pairs, _Frame
from bonescan.detect.photopenia import (
    DefectReference,
    _median,
    _mirror_costs,
    _mirror_weights,
    _reflect_mask,
    reflect,
)
from bonescan.detect.reference import _extreme, _line, _percentile, _symmetric_padded
from bonescan.detect.spots import _below, _split_at_peaks
from bonescan.io.orientation import _band_ratio, _midline_columns, _theil_sen
from bonescan.regions import region
from bonescan.study import ViewName


def _masks(seed: int, count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    masks = []
    for index in range(count):
        shape = (int(rng.integers(1, 40)), int(rng.integers(1, 40)))
        mask = rng.random(shape) < rng.random()
        masks.append(ndimage.binary_opening(mask) if index % 3 == 0 else mask)
    return masks


@pytest.mark.parametrize("iterations", [1, 2, 3, 5])
def test_grown_and_shrunk_are_ndimage_dilation_and_erosion(iterations: int) -> None:
    for mask in _masks(1, 120):
        assert np.array_equal(grown(mask, iterations), ndimage.binary_dilation(mask, iterations=iterations))
        assert np.array_equal(shrunk(mask, iterations), ndimage.binary_erosion(mask, iterations=iterations))


@pytest.mark.parametrize("radius", [0, 1, 2, 3])
def test_grown_square_is_ndimage_dilation_by_a_square(radius: int) -> None:
    square = np.ones((2 * radius + 1,) * 2, dtype=bool)
    for mask in _masks(2, 120):
        assert np.array_equal(grown_square(mask, radius), ndimage.binary_dilation(mask, structure=square))


def test_no_iterations_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        grown(np.ones((3, 3), dtype=bool), 0)


def test_filled_is_ndimage_fill_holes() -> None:
    for mask in _masks(3, 300):
        assert np.array_equal(_filled(mask), ndimage.binary_fill_holes(mask))


@pytest.mark.parametrize("length", [5, 12, 13, 25])
def test_line_openings_and_closings_are_ndimage_ones(length: int) -> None:
    rng = np.random.default_rng(4)
    for _ in range(6):
        shape = (int(rng.integers(4, 200)), int(rng.integers(4, 90)))
        image = ndimage.gaussian_filter(rng.gamma(2.0, 3.0, size=shape).astype(np.float32), 2.0)
        for index in range(8):
            footprint = _line(length, math.pi * index / 8)
            eroded = _extreme(image, footprint, minimum=True)
            dilated = _extreme(image, footprint, minimum=False)
            opened = _extreme(eroded, footprint[::-1, ::-1], minimum=False)
            closed = _extreme(dilated, footprint[::-1, ::-1], minimum=True)
            assert np.array_equal(opened, ndimage.grey_opening(image, footprint=footprint))
            assert np.array_equal(closed, ndimage.grey_closing(image, footprint=footprint))


def test_smoothed_is_gaussian_filter_and_read_only() -> None:
    rng = np.random.default_rng(5)
    counts = rng.poisson(20.0, size=(60, 30)).astype(np.float32)
    for sigma in (1.0, 2.0, 3.0):
        first = smoothed(counts, sigma)
        assert np.array_equal(first, ndimage.gaussian_filter(counts, sigma))
        assert smoothed(counts.copy(), sigma) is first  # kept by content
        assert not first.flags.writeable
    as_integers = smoothed(counts.astype(np.uint16), 2.0)
    assert np.array_equal(as_integers, ndimage.gaussian_filter(counts, 2.0))


@pytest.mark.parametrize("run", [1, 3, 8])
def test_reflection_takes_the_column_across_the_midline(run: int) -> None:
    rng = np.random.default_rng(6)
    for rows, columns in ((20, 17), (1, 1), (7, 1), (1, 9), (30, 40)):
        image = rng.random((rows, columns)).astype(np.float32)
        midline = np.repeat(rng.integers(-3, 2 * columns + 3, size=rows), run)[:rows].astype(np.intp)
        reflected, inside = reflect(image, midline)
        assert reflected.dtype == np.float32
        mask = image > 0.5
        mirrored = _reflect_mask(mask, midline)
        for row in range(rows):
            for column in range(columns):
                source = int(midline[row]) - column
                known = 0 <= source < columns
                assert inside[row, column] == known
                assert reflected[row, column] == (image[row, source] if known else 0.0)
                assert mirrored[row, column] == (known and bool(mask[row, source]))


def test_values_by_label_are_the_masked_values_in_order() -> None:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 6, size=(30, 20)).astype(np.uint8)
    values = rng.random((30, 20)).astype(np.float32)
    groups = values_by_label(labels, values)
    assert sorted(groups) == sorted(int(label) for label in np.unique(labels))
    for label, group in groups.items():
        assert np.array_equal(group, values[labels == label])


@pytest.mark.parametrize("step", [2, 3, 4])
def test_zoomed_is_ndimage_linear_zoom(step: int) -> None:
    rng = np.random.default_rng(8)
    for _ in range(40):
        shape = (int(rng.integers(1, 90)), int(rng.integers(1, 40)))
        for dtype in (np.float32, np.float64):
            image = (rng.gamma(2.0, 3.0, size=shape) * rng.choice([1e-3, 1.0, 1e3])).astype(dtype)
            expected = ndimage.zoom(image, float(step), order=1, grid_mode=True, mode="nearest")
            got = zoomed(image, step)
            assert got.dtype == expected.dtype
            assert np.array_equal(got.view(np.uint8), expected.view(np.uint8))


def test_nearest_on_the_box_is_the_whole_views_feature_transform() -> None:
    rng = np.random.default_rng(9)
    for trial in range(150):
        shape = (int(rng.integers(5, 90)), int(rng.integers(5, 50)))
        features = rng.random(shape) < rng.random() * 0.3
        if trial % 2:
            features = ndimage.binary_opening(features | (rng.random(shape) < 0.4))
        features[: int(rng.integers(0, shape[0] // 3 + 1))] = False
        features[:, : int(rng.integers(0, shape[1] // 3 + 1))] = False
        queries = (rng.random(shape) < 0.2) & ~features
        if not features.any() or not queries.any():
            continue
        whole = ndimage.distance_transform_edt(~features, return_distances=False, return_indices=True)
        rows, columns = _nearest(features, queries)
        assert np.array_equal(rows, whole[0][queries])
        assert np.array_equal(columns, whole[1][queries])


def _pixels_by_find_objects(labels: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The pixels of every label as ``ndimage.find_objects`` and one comparison per label give them."""
    pieces = []
    for index, window in enumerate(ndimage.find_objects(np.maximum(labels, 0)), start=1):
        if window is not None:
            local = np.nonzero(labels[window] == index)
            pieces.append((local[0] + window[0].start, local[1] + window[1].start))
    return pieces


def test_pixels_by_label_are_those_of_find_objects() -> None:
    rng = np.random.default_rng(10)
    for trial, mask in enumerate(_masks(11, 150)):
        if trial % 2:
            labels = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))[0]
        else:  # labels with gaps and unlabelled pixels below zero, as a watershed leaves them
            labels = (rng.integers(-1, 9, size=mask.shape) * mask).astype(np.int32)
        got, expected = pixels_by_label(labels), _pixels_by_find_objects(labels)
        assert len(got) == len(expected)
        for (rows, columns), (expected_rows, expected_columns) in zip(got, expected, strict=True):
            assert rows.dtype == expected_rows.dtype == np.intp
            assert np.array_equal(rows, expected_rows)
            assert np.array_equal(columns, expected_columns)


def _band_ratio_row_by_row(smooth: np.ndarray, extent: BodyExtent, middles: np.ndarray, rows: range) -> float:
    """The midline brightness of a band of rows as a loop over the rows measures it."""
    ratios = []
    for row in rows:
        columns = np.flatnonzero(extent.mask[row])
        if middles[row] < 0:
            continue
        middle = int(middles[row])
        row_max = float(smooth[row, columns[0] : columns[-1] + 1].max())
        if row_max <= 0:
            continue
        ratios.append(float(smooth[row, max(middle - 2, 0) : middle + 3].mean()) / row_max)
    return float(np.median(ratios)) if ratios else 0.0


def test_band_ratio_is_the_row_by_row_loop() -> None:
    rng = np.random.default_rng(12)
    for _ in range(2000):
        shape = (int(rng.integers(1, 40)), int(rng.integers(1, 30)))
        extent = BodyExtent(rng.random(shape) < rng.random())
        middles = _midline_columns(extent)
        scale = rng.choice([1e-3, 1.0, 1e4])
        smooth = (rng.gamma(2.0, scale, size=shape) - rng.random() * scale).astype(np.float32)
        rows = range(int(rng.integers(0, shape[0])), int(rng.integers(0, shape[0] + 1)))
        expected = _band_ratio_row_by_row(smooth, extent, middles, rows)
        assert _band_ratio(smooth, extent, middles, rows) == expected


def test_theil_sen_is_scipys() -> None:
    from scipy.stats import theilslopes

    rng = np.random.default_rng(5)
    for _ in range(200):
        x = np.sort(rng.choice(1024, size=int(rng.integers(2, 300)), replace=False)).astype(np.float64)
        y = rng.normal(128.0, 20.0, size=x.size).round() / 2.0
        slope, intercept = theilslopes(y, x)[:2]
        assert _theil_sen(x, y) == (slope, intercept)


def _split_on_the_whole_view(candidate: np.ndarray, smoothed: np.ndarray) -> np.ndarray:
    """The watershed from the uptake peaks as it was run on the whole view."""
    peaks_image = ndimage.gaussian_filter(smoothed, 1.5)
    peaks = candidate & (peaks_image == ndimage.maximum_filter(peaks_image, size=9))
    markers = np.zeros(candidate.shape, dtype=np.int32)
    rows, columns = np.nonzero(peaks)
    markers[rows, columns] = np.arange(1, rows.size + 1, dtype=np.int32)
    markers[~ndimage.binary_dilation(candidate)] = -1
    top = float(peaks_image[candidate].max()) if candidate.any() else 1.0
    cost = np.asarray(np.clip(65535.0 * (1.0 - peaks_image / max(top, 1e-6)), 0, 65535), dtype=np.uint16)
    flooded = ndimage.watershed_ift(cost, markers)
    flooded[~candidate] = 0
    return np.asarray(np.maximum(flooded, 0), dtype=np.int32)


def test_split_at_peaks_on_the_box_is_the_whole_views_watershed() -> None:
    rng = np.random.default_rng(13)
    for trial in range(400):
        shape = (int(rng.integers(1, 120)), int(rng.integers(1, 90)))
        smoothed = ndimage.gaussian_filter(rng.gamma(2.0, 10.0, size=shape).astype(np.float32), 1.0)
        candidate = smoothed > np.quantile(smoothed, rng.random())
        if trial % 2 == 0:  # pieces within a box, often narrower than the view and far from its sides
            top, left = int(rng.integers(0, shape[0])), int(rng.integers(0, shape[1]))
            inside = np.zeros(shape, dtype=bool)
            inside[top : top + int(rng.integers(1, 40)), left : left + int(rng.integers(1, 30))] = True
            candidate &= inside
        got = _split_at_peaks(candidate, smoothed)
        assert got.dtype == np.int32
        assert np.array_equal(got, _split_on_the_whole_view(candidate, smoothed))


def test_joint_distances_are_those_of_the_distance_transform() -> None:
    rng = np.random.default_rng(14)
    for trial in range(100):
        shape = (int(rng.integers(1, 300)), int(rng.integers(1, 120)))
        features = rng.random(shape) < rng.random() * (0.3 if trial % 2 else 0.002)
        if not features.any():
            features[int(rng.integers(0, shape[0])), int(rng.integers(0, shape[1]))] = True
        distance, indices = ndimage.distance_transform_edt(~features, return_indices=True)
        got = _distances(indices)
        assert got.dtype == np.float32
        assert np.array_equal(got, distance.astype(np.float32))


def _mirror_costs_and_weights_row_by_row(
    smooth: np.ndarray, bone: np.ndarray, doubled: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The midline search's costs and weights, one row and one candidate midline at a time."""
    columns = smooth.shape[1]
    cost = np.zeros((smooth.shape[0], doubled.size), dtype=np.float64)
    weight = np.zeros_like(cost)
    for index, twice in enumerate(doubled):
        filled = np.array([column for column in range(columns) if 0 <= int(twice) - column < columns], int)
        source = int(twice) - filled
        for row in range(smooth.shape[0]):
            cost[row, index] = np.abs(smooth[row][filled] - smooth[row][source]).sum()  # a row: pairwise
            weight[row, index] = np.count_nonzero(bone[row][filled] | bone[row][source])
    return cost, weight


def test_mirror_costs_and_weights_are_the_loops_over_every_row() -> None:
    rng = np.random.default_rng(15)
    for trial in range(120):
        shape = (int(rng.integers(1, 8)), int(rng.integers(1, 70)))
        bone = rng.random(shape) < rng.random()
        if trial % 2:
            bone[rng.random(shape[0]) < 0.5] = False  # rows without bone
        scale = rng.choice([1e-3, 1.0, 1e4])
        smooth = np.where(bone, rng.gamma(2.0, scale, size=shape), 0).astype(np.float32)
        reach = int(rng.integers(0, 2 * shape[1] + 4))
        doubled = np.arange(shape[1] - 1 - reach, shape[1] - 1 + reach + 1)
        cost, weight = _mirror_costs_and_weights_row_by_row(smooth, bone, doubled)
        assert np.array_equal(_mirror_weights(bone, doubled), weight)
        assert np.array_equal(_mirror_costs(smooth, doubled).astype(np.float64), cost)
        with_bone = np.flatnonzero(bone.any(axis=1))
        assert np.array_equal(_mirror_costs(smooth[with_bone], doubled).astype(np.float64), cost[with_bone])
        assert not cost[~bone.any(axis=1)].any() and not weight[~bone.any(axis=1)].any()


def test_percentile_is_numpys() -> None:
    rng = np.random.default_rng(18)
    quantiles = (50.0, 60.0, 0.0, 100.0, 99.5, 2.0)
    for trial in range(6000):
        size = int(rng.integers(1, 40)) if trial % 10 else int(rng.integers(1, 3000))
        values = rng.gamma(2.0, 1.0, size) * rng.choice([1e-3, 1.0, 1e6])
        values = np.round(values) if trial % 4 == 0 else values
        values = values.astype(np.float32 if trial % 3 else np.float64)
        if trial % 50 == 0:
            values[0] = np.nan
        percentile = quantiles[trial % 6] if trial % 5 else float(rng.uniform(0.0, 100.0))
        got, expected = _percentile(values, percentile), float(np.percentile(values, percentile))
        assert got == expected or (math.isnan(got) and math.isnan(expected))


def test_extremes_over_any_footprint_are_ndimage_ones() -> None:
    rng = np.random.default_rng(19)
    for trial in range(300):
        shape = (int(rng.integers(1, 60)), int(rng.integers(1, 40)))
        image = rng.gamma(2.0, 3.0, size=shape).astype(np.float32)
        footprint = (
            rng.random((2 * int(rng.integers(0, 5)) + 1, 2 * int(rng.integers(0, 5)) + 1)) < rng.random()
        )
        if trial % 2:  # lines and bands: long runs in one direction
            footprint = np.eye(footprint.shape[0], footprint.shape[1], int(rng.integers(-2, 3)), dtype=bool)
            footprint = footprint[::-1] if trial % 4 == 1 else footprint
            footprint |= np.roll(footprint, 1, axis=int(rng.integers(0, 2)))
        footprint[footprint.shape[0] // 2, footprint.shape[1] // 2] |= not footprint.any()
        assert np.array_equal(
            _extreme(image, footprint, minimum=True), ndimage.minimum_filter(image, footprint=footprint)
        )
        assert np.array_equal(
            _extreme(image, footprint, minimum=False), ndimage.maximum_filter(image, footprint=footprint)
        )


def test_covariance_is_numpys() -> None:
    rng = np.random.default_rng(20)
    for trial in range(2000):
        count = int(rng.integers(2, 300))
        rows = rng.integers(0, 1024, count)
        columns = rows // int(rng.integers(1, 5)) + rng.integers(0, 256, count)
        samples = np.stack([np.sort(rows) if trial % 2 else rows, columns]).astype(float)
        assert np.array_equal(_covariance(samples).view(np.uint64), np.cov(samples).view(np.uint64))


def test_below_the_reference_at_some_pixels_is_the_whole_views() -> None:
    rng = np.random.default_rng(21)
    for _ in range(50):
        shape = (int(rng.integers(1, 50)), int(rng.integers(1, 40)))
        smoothed = rng.gamma(2.0, 10.0, size=shape).astype(np.float32)
        expected = (smoothed * rng.uniform(0.5, 3.0, size=shape)).astype(np.float32)
        expected[rng.random(shape) < 0.05] = 0.0
        by_side = rng.random(shape) < 0.5
        reference = DefectReference(
            smoothed=smoothed,
            expected=expected,
            comparable=by_side | (rng.random(shape) < 0.3),
            midline=np.full(shape[0], shape[1] - 1, dtype=np.intp),
            sigma_px=float(rng.uniform(0.5, 4.0)),
            reflection=expected,
            by_side=by_side,
        )
        levels = rng.gamma(2.0, 10.0, size=shape).astype(np.float32)
        limit = rng.choice([0.65, 0.75, 0.8], size=shape).astype(np.float32)
        any_reference = rng.random(shape) < 0.2
        pixels = np.nonzero(rng.random(shape) < 0.3)
        assert np.array_equal(reference.ratio_at(pixels), reference.ratio[pixels])
        assert np.array_equal(reference.z_at(pixels), reference.z[pixels])
        whole = _below(reference, levels, limit, any_reference)
        assert np.array_equal(_below(reference, levels, limit, any_reference, at=pixels), whole[pixels])


def _candidate_pairs_one_by_one(
    anterior: list, posterior: list, frames: dict
) -> list[tuple[float, int, int]]:
    """The pairs that may show one lesion, as the loop over every pair weighed them."""
    pairs = []
    behind = [frames[ViewName.POSTERIOR].position_mm(back) for back in posterior]
    for i, front in enumerate(anterior):
        a = frames[ViewName.ANTERIOR].position_mm(front)
        for j, back in enumerate(posterior):
            organs = (front.organ, back.organ)
            if back.kind is not front.kind or not (
                front.organ == back.organ or (URINE in organs and None in organs)
            ):
                continue
            distance = max(abs(a[0] - behind[j][0]), abs(a[1] - behind[j][1]))
            reach = PAIRING_DISTANCE_MM
            if URINE in organs:
                reach = max(PAIRING_DISTANCE_MM, math.sqrt(max(front.area_mm2, back.area_mm2) / math.pi))
            if distance <= reach:
                pairs.append((distance, i, j))
    return sorted(pairs)


def test_candidate_pairs_are_those_of_the_loop_over_every_pair() -> None:
    rng = np.random.default_rng(22)
    organs = [None, None, None, URINE, "bladder", "kidney_left"]
    for _ in range(300):
        sides = []
        for _view in range(2):
            count = int(rng.integers(1, 30))
            sides.append(
                [
                    SimpleNamespace(
                        kind=SpotKind.HOT if rng.random() < 0.8 else SpotKind.COLD,
                        organ=organs[int(rng.integers(0, len(organs)))],
                        area_mm2=float(rng.choice([5.0, 50.0, 5000.0])),
                        centroid=(float(rng.integers(0, 40)) * 0.5, float(rng.integers(0, 30))),
                    )
                    for _ in range(count)
                ]
            )
        frames = {
            ViewName.ANTERIOR: _Frame(float(rng.integers(0, 5)), 15.0, (2.0, 2.0), 1.0),
            ViewName.POSTERIOR: _Frame(float(rng.integers(0, 5)), 14.5, (2.0, 2.0), -1.0),
        }
        got = _candidate_pairs(sides[0], sides[1], frames)
        assert got == _candidate_pairs_one_by_one(sides[0], sides[1], frames)


def _outline_of_every_piece(pixels: np.ndarray) -> np.ndarray:
    """The body outline as it was found with every piece counted, however many there are."""
    smooth = ndimage.gaussian_filter(pixels.astype(np.float32), 2.0)
    positive = smooth[smooth > 0]
    if positive.size == 0:
        return np.zeros(smooth.shape, dtype=bool)
    labels, count = ndimage.label(smooth > 0.02 * float(np.percentile(positive, 99.5)))
    if count == 0:
        return np.zeros(smooth.shape, dtype=bool)
    sizes = np.bincount(labels.ravel())
    kept = sizes >= 0.02 * sizes[1:].max()
    kept[0] = False
    return ndimage.binary_fill_holes(kept[labels])


def test_body_outline_is_that_of_every_piece_counted() -> None:
    rng = np.random.default_rng(23)
    for trial in range(200):
        shape = (int(rng.integers(1, 80)), int(rng.integers(1, 50)))
        pixels = np.zeros(shape, dtype=np.float32)
        for _ in range(int(rng.integers(0, 4))):  # none, one or several bodies, with holes at times
            top, left = int(rng.integers(0, shape[0])), int(rng.integers(0, shape[1]))
            pixels[top : top + int(rng.integers(1, 40)), left : left + int(rng.integers(1, 30))] += (
                rng.uniform(1, 50)
            )
        if trial % 3 == 0:
            pixels[rng.random(shape) < 0.05] = 0.0
        pixels = rng.poisson(pixels).astype(np.float32)
        assert np.array_equal(body_mask(pixels.copy()), _outline_of_every_piece(pixels))


def test_median_of_planes_is_numpys() -> None:
    rng = np.random.default_rng(24)
    for trial in range(400):
        count = int(rng.integers(1, 12))
        shape = (int(rng.integers(1, 30)), int(rng.integers(1, 20)))
        planes = [
            (rng.gamma(2.0, 3.0, size=shape) * rng.choice([1e-3, 1.0, 1e6])).astype(np.float32)
            for _ in range(count)
        ]
        if trial % 4 == 0:  # ties
            planes = [np.round(plane) for plane in planes]
        got = _median(planes)
        assert got.dtype == np.float32
        assert np.array_equal(got, np.median(planes, axis=0))


def test_body_midline_is_the_median_column_of_its_pixels() -> None:
    rng = np.random.default_rng(25)
    for _ in range(2000):
        shape = (int(rng.integers(1, 30)), int(rng.integers(1, 40)))
        mask = rng.random(shape) < rng.random() * rng.choice([0.05, 1.0])
        columns = np.nonzero(mask)[1]
        expected = float(np.median(columns)) if columns.size else shape[1] / 2.0
        assert BodyExtent(mask).midline == expected


def _joint_map_on_the_whole_view(labels: np.ndarray) -> np.ndarray:
    """The joints as they were found with every region's mask grown over the whole view."""
    square = np.ones((5, 5), dtype=bool)
    near = {}
    for stem in {stem for pair in JOINTS for stem in pair}:
        names = [stem] if stem in ("sternum", "sacrum") else [f"{stem}_left", f"{stem}_right"]
        mask = np.isin(labels, [region(name).label for name in names])
        near[stem] = ndimage.binary_dilation(mask, structure=square)
    joints = np.zeros(labels.shape, dtype=np.int8)
    for index, (first, second) in enumerate(JOINTS, start=1):
        joints[near[first] & near[second] & (joints == 0)] = index
    return joints


def test_joint_map_on_the_boxes_is_the_whole_views() -> None:
    rng = np.random.default_rng(26)
    stems = sorted({stem for pair in JOINTS for stem in pair})
    names = [
        name
        for stem in stems
        for name in ([stem] if stem in ("sternum", "sacrum") else [f"{stem}_left", f"{stem}_right"])
    ]
    for _ in range(300):
        shape = (int(rng.integers(1, 60)), int(rng.integers(1, 40)))
        labels = np.zeros(shape, dtype=np.uint8)
        for _blob in range(int(rng.integers(0, 12))):
            top, left = int(rng.integers(0, shape[0])), int(rng.integers(0, shape[1]))
            name = names[int(rng.integers(0, len(names)))]
            labels[top : top + int(rng.integers(1, 15)), left : left + int(rng.integers(1, 12))] = region(
                name
            ).label
        assert np.array_equal(_joint_map(labels), _joint_map_on_the_whole_view(labels))


def _joints_by_the_whole_views_transform(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pixel's joint distance and nearest joint as they were read from the feature transform."""
    if not joints.any():
        return np.full(joints.shape, np.inf, dtype=np.float32), np.zeros(joints.shape, dtype=np.int8)
    indices = ndimage.distance_transform_edt(joints == 0, return_distances=False, return_indices=True)
    return _distances(indices), joints[indices[0], indices[1]]


def test_joint_at_a_pixel_is_that_of_the_whole_views_feature_transform() -> None:
    rng = np.random.default_rng(27)
    for trial in range(150):
        shape = (int(rng.integers(1, 40)), int(rng.integers(1, 40)))
        joints = np.zeros(shape, dtype=np.int8)
        kinds = int(rng.integers(1, 4)) if trial % 5 else 10  # few joints: many ties between them
        joints[rng.random(shape) < rng.random() * 0.1] = 1
        for _blob in range(int(rng.integers(0, 5))):
            top, left = int(rng.integers(0, shape[0])), int(rng.integers(0, shape[1]))
            joints[top : top + int(rng.integers(1, 6)), left : left + int(rng.integers(1, 6))] = int(
                rng.integers(1, kinds + 1)
            )
        geometry = ViewGeometry(0.0, joints, (1.0, 1.0), np.zeros(256, dtype=np.intp))
        distances, nearest = _joints_by_the_whole_views_transform(joints)
        for row in range(shape[0]):
            for column in range(shape[1]):
                expected = (float(distances[row, column]), int(nearest[row, column]))
                assert geometry.joint_at(row, column) == expected
        assert np.array_equal(geometry.joint_distance_px, distances)
        assert np.array_equal(geometry.nearest_joint, nearest)


def test_symmetric_padding_is_numpys() -> None:
    rng = np.random.default_rng(28)
    for _ in range(400):
        shape = (int(rng.integers(1, 30)), int(rng.integers(1, 30)))
        image = rng.random(shape, dtype=np.float32)
        rows, columns = int(rng.integers(0, 35)), int(rng.integers(0, 35))
        expected = np.pad(image, ((rows, rows), (columns, columns)), mode="symmetric")
        padded = _symmetric_padded(image, rows, columns)
        assert padded.dtype == expected.dtype
        assert np.array_equal(padded, expected)
