"""DICOM files the tests write themselves, read back: every reader path and every refusal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import CTImageStorage, JPEG2000Lossless, JPEGLSLossless, RLELossless

from bonescan import InputError, NotABoneScanError, load_study, write_nm_image
from bonescan.errors import OutputError
from bonescan.study import ViewName
from tests.conftest import dciodvfy_errors
from tests.phantoms import ACQUIRED, INJECTED, make_study


def _same_views(loaded, original) -> None:
    assert [v.name for v in loaded.views] == [v.name for v in original.views]
    for got, want in zip(loaded.views, original.views, strict=True):
        assert np.array_equal(got.counts, want.counts)
        assert got.pixel_spacing_mm == pytest.approx(want.pixel_spacing_mm)


def test_two_frame_nm_image_round_trips(nm_file: Path, study) -> None:
    loaded = load_study(nm_file)
    _same_views(loaded, study)
    for view in loaded.views:
        assert view.source.view_rule.startswith("view_code: DetectorInformationSequence")
        assert not view.orientation.flip_rows
    meta = loaded.metadata
    assert meta.uptake_interval_hours == pytest.approx(3.25)
    assert meta.injection_time.replace(tzinfo=None) == INJECTED
    assert meta.acquisition_time.replace(tzinfo=None) == ACQUIRED
    assert meta.injected_activity_mbq == pytest.approx(690)
    assert meta.radiopharmaceutical == "Tc-99m MDP"
    assert (meta.patient.sex, meta.patient.age_years) == ("F", 67)
    assert meta.patient.height_cm == pytest.approx(162)
    assert meta.patient.weight_kg == pytest.approx(71)
    assert loaded.identity.name == "Test^Phantom"
    assert loaded.quality == ()


def test_written_nm_image_passes_dciodvfy(nm_file: Path, dciodvfy: str) -> None:
    assert dciodvfy_errors(dciodvfy, nm_file) == []


@pytest.mark.parametrize("syntax", [RLELossless, JPEGLSLossless, JPEG2000Lossless])
def test_compressed_nm_images_read_the_same(tmp_path: Path, study, dciodvfy: str, syntax) -> None:
    path = write_nm_image(study, tmp_path / "compressed.dcm", transfer_syntax=syntax)
    assert pydicom.dcmread(path).file_meta.TransferSyntaxUID == syntax
    assert dciodvfy_errors(dciodvfy, path) == []
    _same_views(load_study(path), study)


def test_writing_without_identity_leaves_it_out(tmp_path: Path, study) -> None:
    path = write_nm_image(study, tmp_path / "anon.dcm", include_identity=False)
    header = pydicom.dcmread(path, stop_before_pixels=True)
    assert (str(header.PatientName), header.PatientID) == ("", "")


def test_writer_refuses_to_overwrite(nm_file: Path, study) -> None:
    before = nm_file.read_bytes()
    with pytest.raises(OutputError, match="exists already"):
        write_nm_image(study, nm_file)
    assert nm_file.read_bytes() == before


def test_same_uid_seed_gives_the_same_bytes(tmp_path: Path, study) -> None:
    first = write_nm_image(study, tmp_path / "a.dcm", uid_seed="case-7")
    second = write_nm_image(study, tmp_path / "b.dcm", uid_seed="case-7")
    assert first.read_bytes() == second.read_bytes()


def test_one_file_per_view_and_a_folder_of_them(tmp_path: Path, study) -> None:
    folder = tmp_path / "study"
    (folder / "series").mkdir(parents=True)
    write_nm_image(study, folder / "series" / "ant.dcm", views=[study.anterior])
    write_nm_image(study, folder / "post.dcm", views=[study.posterior])
    (folder / "notes.txt").write_text("not DICOM; skipped in a folder")
    from_files = load_study([folder / "series" / "ant.dcm", folder / "post.dcm"])
    from_folder = load_study(folder)
    for loaded in (from_files, from_folder):
        _same_views(loaded, study)
        assert loaded.anterior.source.view_rule.startswith("view_code")


def test_two_studies_in_a_folder_are_listed(tmp_path: Path) -> None:
    first, second = make_study(seed=1), make_study(seed=2)
    write_nm_image(first, tmp_path / "one.dcm")
    write_nm_image(second, tmp_path / "two.dcm")
    with pytest.raises(InputError) as caught:
        load_study(tmp_path)
    message = str(caught.value)
    assert "2 studies found" in message
    assert first.metadata.study_instance_uid in message
    assert second.metadata.study_instance_uid in message


def test_two_anterior_views_are_an_error(tmp_path: Path, study) -> None:
    write_nm_image(study, tmp_path / "a.dcm", views=[study.anterior])
    write_nm_image(study, tmp_path / "b.dcm", views=[study.anterior])
    with pytest.raises(InputError, match="2 anterior views found"):
        load_study(tmp_path)


def test_secondary_capture_nm_single_view_is_read(tmp_path: Path, study) -> None:
    dataset = pydicom.dcmread(write_nm_image(study, tmp_path / "nm.dcm", views=[study.posterior]))
    dataset.SOPClassUID = dataset.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    del dataset.DetectorInformationSequence
    dataset.SeriesDescription = "WB POST"
    path = tmp_path / "sc.dcm"
    dataset.save_as(path)
    loaded = load_study(path)
    assert loaded.posterior is not None
    assert loaded.posterior.source.view_rule == "series_description: 'WB POST / WHOLE BODY'"
    assert np.array_equal(loaded.posterior.counts, study.posterior.counts)


def test_a_non_dicom_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "report.dcm"
    path.write_text("this is a text file, not a scan\n" * 20)
    with pytest.raises(InputError, match=rf"^{path}: not a DICOM file"):
        load_study(path)


def test_a_truncated_file_is_refused(tmp_path: Path, nm_file: Path) -> None:
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(nm_file.read_bytes()[: nm_file.stat().st_size // 2])
    with pytest.raises(InputError) as caught:
        load_study(cut)
    message = str(caught.value)
    assert message.startswith(f"{cut}: ")
    assert "\n" not in message


def test_a_ct_image_is_refused(tmp_path: Path, nm_file: Path) -> None:
    dataset = pydicom.dcmread(nm_file)
    dataset.Modality = "CT"
    dataset.SOPClassUID = dataset.file_meta.MediaStorageSOPClassUID = CTImageStorage
    path = tmp_path / "ct.dcm"
    dataset.save_as(path)
    with pytest.raises(NotABoneScanError, match=r"a CT image \(Modality CT\), not nuclear medicine"):
        load_study(path)


@pytest.mark.parametrize(
    ("image_type", "reason"),
    [
        (["ORIGINAL", "PRIMARY", "TOMO", "EMISSION"], "a SPECT acquisition"),
        (["ORIGINAL", "PRIMARY", "DYNAMIC", "EMISSION"], "a dynamic acquisition"),
        (["ORIGINAL", "PRIMARY", "GATED", "EMISSION"], "a gated acquisition"),
    ],
)
def test_non_planar_acquisitions_are_refused(tmp_path: Path, nm_file: Path, image_type, reason) -> None:
    dataset = pydicom.dcmread(nm_file)
    dataset.ImageType = image_type
    path = tmp_path / "other.dcm"
    dataset.save_as(path)
    with pytest.raises(NotABoneScanError, match=reason):
        load_study(path)


def test_a_flood_without_telling_words_is_refused_by_its_pixels(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    study = make_study()
    dataset = pydicom.dcmread(write_nm_image(study, tmp_path / "nm.dcm", views=[study.anterior]))
    flood = rng.poisson(200, (512, 128)).astype("<u2")
    dataset.Rows, dataset.Columns = flood.shape
    dataset.ImageType = ["ORIGINAL", "PRIMARY", "STATIC", "EMISSION"]
    dataset.PixelData = flood.tobytes()
    path = tmp_path / "flood.dcm"
    dataset.save_as(path)
    with pytest.raises(NotABoneScanError, match="a uniform flood-field image"):
        load_study(path)


def test_a_missing_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=rf"^{tmp_path / 'nope.dcm'}: no such file or folder$"):
        load_study(tmp_path / "nope.dcm")


def test_single_view_nm_says_missing_view(tmp_path: Path, study) -> None:
    loaded = load_study(write_nm_image(study, tmp_path / "ant.dcm", views=[study.anterior]))
    assert [v.name for v in loaded.views] == [ViewName.ANTERIOR]
    assert [c.code for c in loaded.quality] == ["missing_view"]
