"""Each quality check, on studies built to trigger it (and a clean one that triggers none)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import numpy as np
import pytest

from bonescan.quality import check_quality
from bonescan.study import PixelValues, Severity, Study, View, ViewName
from tests.phantoms import make_study, make_view


def _codes(study: Study) -> dict[str, Severity]:
    return {check.code: check.severity for check in check_quality(study)}


def test_a_good_study_raises_nothing(study) -> None:
    assert check_quality(study) == ()


def test_missing_view() -> None:
    checks = check_quality(make_study(views=(ViewName.ANTERIOR,)))
    assert [(c.code, c.view) for c in checks] == [("missing_view", ViewName.POSTERIOR)]


@pytest.mark.parametrize(("scale", "severity"), [(1.0, Severity.WARNING), (0.3, Severity.SEVERE)])
def test_low_counts(scale: float, severity: Severity) -> None:
    study = make_study(scale=scale)
    assert study.anterior.total_counts < 1_000_000
    assert _codes(study)["low_counts"] is severity


@pytest.mark.parametrize(("hours", "expected"), [(1.5, True), (3.0, False), (6.5, True)])
def test_uptake_interval(study, hours: float, expected: bool) -> None:
    meta = dataclasses.replace(
        study.metadata, injection_time=study.metadata.acquisition_time - timedelta(hours=hours)
    )
    assert ("uptake_interval_out_of_range" in _codes(dataclasses.replace(study, metadata=meta))) is expected


def test_uptake_interval_unknown(study) -> None:
    meta = dataclasses.replace(study.metadata, injection_time=None)
    assert "uptake_interval_unknown" in _codes(dataclasses.replace(study, metadata=meta))


def _with_anterior(study: Study, counts: np.ndarray, **changes) -> Study:
    anterior = View(ViewName.ANTERIOR, counts, study.anterior.pixel_spacing_mm)
    return dataclasses.replace(study, views=(anterior, study.posterior), **changes)


def test_saturated_and_clipped_pixels(study) -> None:
    counts = np.array(study.anterior.counts)
    counts[500:505, 100:105] = 65535
    assert "clipped_pixels" in _codes(_with_anterior(study, counts))
    clipped = np.minimum(np.array(study.anterior.counts), 40)
    assert "clipped_pixels" in _codes(_with_anterior(study, clipped))


def test_clipped_display_export(study) -> None:
    grey = np.clip(np.array(study.anterior.counts) * 4, 0, 200)
    codes = _codes(_with_anterior(study, grey, pixel_values=PixelValues.DISPLAY))
    assert "clipped_pixels" in codes
    assert "not_counts" in codes


def test_body_cut_off_at_head_and_feet() -> None:
    head_cut = make_view(ViewName.ANTERIOR, top=-60)
    feet_cut = make_view(ViewName.ANTERIOR, bottom=1100)
    study = make_study()
    assert "cut_off_head" in _codes(_with_anterior(study, head_cut.counts))
    assert "cut_off_feet" in _codes(_with_anterior(study, feet_cut.counts))
    assert not {"cut_off_head", "cut_off_feet"} & set(_codes(study))


def test_an_empty_view_is_severe(study) -> None:
    assert _codes(_with_anterior(study, np.zeros((1024, 256))))["empty_view"] is Severity.SEVERE


def test_checks_are_ordered_most_severe_first() -> None:
    checks = check_quality(make_study(scale=0.3, views=(ViewName.ANTERIOR,)))
    order = [c.severity for c in checks]
    assert order == sorted(order, key=[Severity.SEVERE, Severity.WARNING, Severity.INFO].index)
