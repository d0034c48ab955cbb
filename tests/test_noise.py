"""Values per count read from an image's own noise (:mod:`bonescan.noise`), and what uses it.

A tiny exact case first, then seeded Poisson images (raw, scaled, filtered), the real NEMA NM1 scan,
the quality notes, and one simulated patient whose values are scaled by 1/100 and must read as the
counts they stand for.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from bonescan.assessment import analyze
from bonescan.io import load_study
from bonescan.noise import COUNTS_BAND, CountScale, count_scale
from bonescan.quality import check_quality
from bonescan.study import Study, View, ViewName
from tests.phantoms import make_study


def _blurred_figure(seed: int = 3) -> np.ndarray:
    """Expected counts of a camera-blurred random figure: 128 x 128 pixels, blocks of 20-120 counts
    blurred by a Gaussian of 2 pixels (a camera's 7-10 mm at 2.3 mm pixels)."""
    rng = np.random.default_rng(seed)
    blocks = np.kron(rng.uniform(20.0, 120.0, size=(16, 16)), np.ones((8, 8)))
    return ndimage.gaussian_filter(blocks, 2.0)


def _scaled(study: Study, factor: float) -> Study:
    """Return ``study`` with its values multiplied by ``factor`` and its quality checked anew."""
    views = tuple(dataclasses.replace(view, counts=view.counts * factor) for view in study.views)
    scaled = dataclasses.replace(study, views=views, quality=())
    return scaled.with_quality(check_quality(scaled))


def test_a_checkerboard_of_110_and_90_reads_as_0_889_values_per_count() -> None:
    """Every pixel's eight neighbours average 100 (four of each colour), so each pixel differs from
    them by 10: g = 10² / (9/8 · 100) = 0.889, and neighbouring differences alternate in sign
    (correlation -1, white)."""
    board = np.where(np.indices((64, 64)).sum(axis=0) % 2 == 0, 110.0, 90.0)
    scale = count_scale(board)
    assert scale.values_per_count == pytest.approx(100.0 / 112.5)
    assert scale.neighbour_correlation == pytest.approx(-1.0)
    assert scale.white and not scale.scaled and scale.divisor == 1.0
    tenth = count_scale(board / 10.0)  # 11 and 9: a tenth of the values per count
    assert tenth.scaled and tenth.divisor == pytest.approx(10.0 / 112.5)


def test_poisson_counts_read_as_counts_and_scaled_counts_as_their_factor() -> None:
    rng = np.random.default_rng(7)
    counts = rng.poisson(_blurred_figure()).astype(np.float64)
    raw = count_scale(counts)
    assert raw.values_per_count == pytest.approx(1.0, abs=0.06)
    assert raw.white and raw.divisor == 1.0
    for factor in (0.01, 20.0):
        scaled = count_scale(counts * factor)
        assert scaled.scaled and scaled.divisor == pytest.approx(factor, rel=0.06)


def test_filtered_counts_are_not_white_and_are_taken_as_they_are() -> None:
    rng = np.random.default_rng(7)
    filtered = ndimage.gaussian_filter(rng.poisson(_blurred_figure()).astype(np.float64), 1.0)
    scale = count_scale(filtered)
    assert scale.values_per_count is not None and scale.values_per_count < COUNTS_BAND[0]
    assert not scale.white and not scale.scaled and scale.divisor == 1.0


def test_an_empty_image_cannot_tell() -> None:
    scale = count_scale(np.zeros((64, 64)))
    assert scale.values_per_count is None and not scale.white and scale.divisor == 1.0


def test_the_real_nm1_scan_is_camera_counts(shared_data: Path) -> None:
    study = load_study(shared_data / "nm1" / "NM1_UNC.dcm")
    assert study.anterior is not None
    scale = study.anterior.count_scale
    assert scale.values_per_count == pytest.approx(1.0, abs=0.05)
    assert scale.white and not scale.scaled
    assert not {"values_not_counts", "noise_not_white"} & {check.code for check in study.quality}


def test_quality_notes_scaled_and_filtered_values_and_counts_the_counts() -> None:
    study = make_study(seed=2)
    scaled = check_quality(_scaled(study, 0.001))
    assert study.anterior is not None
    notes = {(check.code, check.view) for check in scaled}
    assert ("values_not_counts", ViewName.ANTERIOR) in notes
    assert "low_counts" not in {check.code for check in scaled}  # 1.3 M counts, whatever the values
    blurred = View(ViewName.ANTERIOR, ndimage.gaussian_filter(study.anterior.counts, 1.0), (2.4, 2.4))
    filtered = dataclasses.replace(study, views=(blurred,))
    assert "noise_not_white" in {check.code for check in check_quality(filtered)}


def test_a_patient_scaled_by_a_hundredth_reads_as_the_counts(metastatic_case: Path) -> None:
    """Taken as counts, values a hundredth of the counts would hide every lesion in noise."""
    study = load_study(metastatic_case / "baseline.dcm")
    plain, scaled = analyze(study), analyze(_scaled(study, 0.01))
    assert plain.hotspot_count >= 1
    assert scaled.hotspot_count == plain.hotspot_count
    assert len(scaled.judged) == len(plain.judged)
    assert scaled.bsi.percent == pytest.approx(plain.bsi.percent, abs=0.05)
    assert scaled.metastasis_probability == pytest.approx(plain.metastasis_probability, abs=0.05)
    assert "values_not_counts" in {check.code for check in scaled.quality}


def _count_scale_on_the_whole_view(values: np.ndarray) -> CountScale:
    """The count scale as it was measured on the whole view (``ndimage.convolve``, no box)."""
    image = np.asarray(values, dtype=np.float64)
    mean = ndimage.convolve(image, np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]]) / 8.0, mode="mirror")
    positive = mean[mean > 0]
    if positive.size < 2000:
        return CountScale(None, None)
    bright = mean >= 0.1 * float(np.percentile(positive, 99))
    if int(bright.sum()) < 2000:
        return CountScale(None, None)
    smooth = ndimage.gaussian_filter(image.astype(np.float32), 4.0)
    steepness = np.hypot(*np.gradient(smooth)) / np.sqrt(np.maximum(smooth, 1e-12))
    flat = bright & (steepness <= np.quantile(steepness[bright], 0.6))
    difference = image - mean
    gain = float((difference[flat] ** 2).sum() / (9.0 / 8.0 * mean[flat]).sum())
    standard = np.where(flat, difference / np.sqrt(np.where(flat, mean, 1.0)), 0.0)
    across = flat[:, :-1] & flat[:, 1:]
    down = flat[:-1, :] & flat[1:, :]
    pairs = [
        (standard[:, :-1][across], standard[:, 1:][across]),
        (standard[:-1, :][down], standard[1:, :][down]),
    ]
    correlations = [
        0.0
        if a.size < 2 or float(a.std()) == 0.0 or float(b.std()) == 0.0
        else float(np.corrcoef(a, b)[0, 1])
        for a, b in pairs
    ]
    return CountScale(gain, 0.5 * (correlations[0] + correlations[1]))


def test_the_count_scale_on_the_bright_box_is_that_of_the_whole_view() -> None:
    rng = np.random.default_rng(17)
    for trial in range(40):
        shape = (int(rng.integers(40, 260)), int(rng.integers(40, 160)))
        expected = np.zeros(shape)
        top, left = int(rng.integers(0, shape[0] // 2)), int(rng.integers(0, shape[1] // 2))
        bottom = int(rng.integers(top + 1, shape[0] + 1)) if trial % 3 else shape[0]
        right = int(rng.integers(left + 1, shape[1] + 1)) if trial % 4 else shape[1]
        expected[top:bottom, left:right] = rng.uniform(5.0, 200.0)
        expected = ndimage.gaussian_filter(expected, rng.uniform(0.5, 6.0)) + rng.uniform(0.0, 2.0)
        counts = rng.poisson(expected).astype(np.float32) * rng.choice([0.01, 1.0, 3.0])
        assert count_scale(counts) == _count_scale_on_the_whole_view(counts)
