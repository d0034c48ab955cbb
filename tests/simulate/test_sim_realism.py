"""The realism measures work on the real scan and on simulated ones, and the pictures are valid PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image

from bonescan.simulate.patient import Acquisition, Patient
from bonescan.simulate.realism import inverted_grey, measure, write_png
from bonescan.simulate.scan import simulate_scan


@pytest.mark.needs_shared_data
def test_measures_of_the_real_scan(shared_data: Path) -> None:
    dataset = pydicom.dcmread(shared_data / "nm1" / "NM1_UNC.dcm")
    found = measure(dataset.pixel_array, float(dataset.PixelSpacing[0]))
    assert found.total_counts == 3_596_452
    assert found.max_pixel == 278
    assert 1500 < found.body_length_mm < 2000
    assert 1.5 < found.bone_to_soft < 4.0
    assert 20 < found.femur_fwhm_mm < 60


def test_simulated_scan_measures_are_clinical(patient_and_acquisition: tuple[Patient, Acquisition]) -> None:
    patient, acquisition = patient_and_acquisition
    scan = simulate_scan(patient, acquisition, (), np.random.default_rng(0))
    for view in range(2):
        found = measure(scan.counts[view], scan.body.frame.spacing_mm)
        assert found.body_length_mm == pytest.approx(patient.height_mm, rel=0.05)
        assert 2.0 < found.bone_to_soft < 7.0
        assert 20 < found.femur_fwhm_mm < 50


def test_png_round_trip(tmp_path: Path) -> None:
    image = np.arange(64 * 32, dtype=np.float32).reshape(64, 32)
    grey = inverted_grey(image, 100.0)
    assert grey[0, 0] == 255 and grey[-1, -1] == 0
    write_png(tmp_path / "x.png", grey)
    with Image.open(tmp_path / "x.png") as loaded:
        assert loaded.mode == "L"
        assert np.array_equal(np.asarray(loaded), grey)
