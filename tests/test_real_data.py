"""The facts of ../shared/data/README.md, asserted on the real files, read in place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from bonescan import NotABoneScanError, load_study
from bonescan.study import ImageSide, PixelValues, ViewName


@pytest.fixture(scope="module")
def nm1(shared_data: Path):
    return load_study(shared_data / "nm1" / "NM1_UNC.dcm")


def test_nm1_is_one_anterior_view_of_the_documented_size(nm1) -> None:
    assert [view.name for view in nm1.views] == [ViewName.ANTERIOR]
    view = nm1.anterior
    assert view.shape == (1024, 256)
    assert view.pixel_spacing_mm == (2.26, 2.26)
    assert nm1.pixel_values is PixelValues.COUNTS


def test_nm1_counts_sum_to_counts_accumulated(nm1, shared_data: Path) -> None:
    header = pydicom.dcmread(shared_data / "nm1" / "NM1_UNC.dcm", stop_before_pixels=True)
    assert int(header.CountsAccumulated) == 3_596_452
    assert nm1.anterior.total_counts == 3_596_452
    assert nm1.anterior.declared_counts == 3_596_452
    assert nm1.anterior.counts.min() == 0
    assert nm1.anterior.counts.max() == 278


def test_nm1_is_upright_as_stored_and_anterior_by_assumption(nm1) -> None:
    view = nm1.anterior
    assert not view.orientation.flip_rows and not view.orientation.flip_columns
    assert view.orientation.decided_by.startswith("image: head at the top")
    assert view.patient_left is ImageSide.RIGHT
    assert view.source.view_rule.startswith("assumed")
    codes = {check.code for check in nm1.quality}
    assert {"view_assumed", "missing_view", "uptake_interval_unknown"} <= codes
    assert not codes & {"low_counts", "clipped_pixels", "cut_off_head", "cut_off_feet", "not_counts"}


def test_nm1_metadata(nm1) -> None:
    meta = nm1.metadata
    assert meta.patient.sex == "M"
    assert meta.patient.height_cm is None  # stored as 0.000000: unknown, not zero
    assert meta.camera.model == "MILLENNIUM MG"
    assert meta.study_description == "Whole Body Bone"
    assert meta.acquisition_time is not None and meta.acquisition_time.hour == 12
    assert nm1.identity.patient_id == "8NM1"  # kept, but apart from the analysis data
    assert nm1.without_identity().identity.patient_id is None


@pytest.mark.parametrize("encoding", ["NM1_RLE.dcm", "NM1_JPLL.dcm"])
def test_compressed_encodings_decode_to_the_same_pixels(nm1, shared_data: Path, encoding: str) -> None:
    other = load_study(shared_data / "nm1" / encoding)
    assert np.array_equal(other.anterior.counts, nm1.anterior.counts)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("UNIFORMIDAD_1.dcm", "quality-control acquisition (StudyDescription 'FLOOD_TEST_INTR')"),
        ("FourBar.dcm", "a STATIC image of 512×512, series 'POSTERIOR_H2', not a whole-body view"),
        ("QuadrantBar.dcm", "a STATIC image of 512×512, series 'PO-2_H2', not a whole-body view"),
        ("Jaszack.dcm", "a SPECT acquisition or reconstruction (ImageType DERIVED\\PRIMARY\\RECON TOMO"),
    ],
)
def test_nm_qc_files_are_refused_with_their_reason(shared_data: Path, name: str, reason: str) -> None:
    path = shared_data / "nmqc" / name
    with pytest.raises(NotABoneScanError) as caught:
        load_study(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert reason in message
    assert "\n" not in message


def test_a_folder_of_qc_files_is_refused_listing_every_reason(shared_data: Path) -> None:
    with pytest.raises(NotABoneScanError) as caught:
        load_study(shared_data / "nmqc")
    message = str(caught.value)
    for name in ("UNIFORMIDAD_1.dcm", "FourBar.dcm", "QuadrantBar.dcm", "Jaszack.dcm"):
        assert name in message
