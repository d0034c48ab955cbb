"""Both views side by side in one image (a workstation's export): found, cut apart, read as two views."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
import tifffile

from bonescan import InputError, load_study
from bonescan._body import body_mask
from bonescan.io.nm_writer import write_nm_image
from bonescan.io.side_by_side import view_columns
from bonescan.quality import check_quality
from bonescan.study import Study, View, ViewName
from tests.conftest import exit_code
from tests.phantoms import make_study

GAP = 12  # background columns between the two bodies


def _side_by_side(anterior: np.ndarray, posterior: np.ndarray) -> np.ndarray:
    """Both views as a workstation shows them: anterior left, posterior right, both upright."""
    gap = np.zeros((anterior.shape[0], GAP), dtype=np.float32)
    return np.concatenate([anterior, gap, posterior], axis=1)


def _within_body(view: np.ndarray) -> np.ndarray:
    """The view's columns from the first to the last with counts inside its body outline."""
    columns = np.flatnonzero((body_mask(view) & (view > 0)).any(axis=0))
    return view[:, columns[0] : columns[-1] + 1]


def _touching(anterior: np.ndarray, posterior: np.ndarray) -> tuple[np.ndarray, int]:
    """Both views without background at their sides, put together: the two outlines touch.

    Returns the frame and the column where the posterior view begins.
    """
    left, right = _within_body(anterior), _within_body(posterior)
    return np.concatenate([left, right], axis=1), left.shape[1]


def _secondary_capture(study: Study, frame: np.ndarray, path: Path) -> Path:
    """Write ``frame`` as a one-frame NM Secondary Capture (as PACS exports hold whole-body pictures)."""
    dataset = pydicom.dcmread(write_nm_image(study, path.with_suffix(".nm.dcm"), views=[study.anterior]))
    dataset.SOPClassUID = dataset.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    del dataset.DetectorInformationSequence
    dataset.SeriesDescription = "WB ANT POST"
    dataset.PatientOrientation = ["L", "H"]  # the whole frame's; it would turn a part head-down
    dataset.Columns = frame.shape[1]
    dataset.PixelData = frame.astype(np.uint16).tobytes()
    dataset.save_as(path)
    path.with_suffix(".nm.dcm").unlink()
    return path


def test_one_body_is_not_cut(study: Study) -> None:
    """A whole-body view (arms apart from the trunk, legs apart below it) is one view."""
    assert view_columns(study.anterior.counts) == [slice(0, 256)]
    assert view_columns(study.posterior.counts) == [slice(0, 256)]


@pytest.mark.needs_shared_data
def test_the_real_scan_is_not_cut(shared_data: Path) -> None:
    study = load_study(shared_data / "nm1" / "NM1_UNC.dcm")
    assert [view.name for view in study.views] == [ViewName.ANTERIOR]
    assert len(view_columns(study.anterior.counts)) == 1


def test_a_body_beside_something_short_is_not_cut(study: Study) -> None:
    """A marker or a bag beside the body, in columns of its own, is no second view."""
    counts = study.anterior.counts
    frame = np.concatenate([counts, np.zeros((counts.shape[0], 60), dtype=np.float32)], axis=1)
    frame[500:560, -40:-10] = counts.max()  # short: a twentieth of the frame's height
    assert view_columns(frame) == [slice(0, frame.shape[1])]


def test_text_burned_in_across_the_top_does_not_join_the_two_views(study: Study) -> None:
    """A banner of text across the whole width above the bodies is no body: the frame is still cut."""
    frame = _side_by_side(study.anterior.counts, study.posterior.counts)
    frame[8:20, :] = frame.max()  # the patient's name and the date, say
    assert view_columns(frame) == [slice(0, 262), slice(262, frame.shape[1])]


def test_the_cut_lies_in_the_middle_of_the_background(study: Study) -> None:
    """The phantom's bodies fill columns 37-219 of each 256: the background between them is 256 - 220 +
    12 + 37 = 85 columns wide, from column 220 to 304; the cut is at its middle, column 262."""
    frame = _side_by_side(study.anterior.counts, study.posterior.counts)
    assert list(np.flatnonzero(frame.any(axis=0))[[0, -1]]) == [37, 256 + GAP + 219]
    assert view_columns(frame) == [slice(0, 262), slice(262, frame.shape[1])]


def test_two_bodies_that_touch_are_cut_where_they_meet(metastatic_case: Path) -> None:
    """No background between the views (the simulated patient's arms reach the sides of its views): the
    outline is one run of columns, cut within two columns of where the two bodies meet."""
    study = load_study(metastatic_case / "baseline.dcm")
    frame, meeting = _touching(study.anterior.counts, study.posterior.counts)
    assert body_mask(frame).any(axis=0).all()
    left, right = view_columns(frame)
    assert abs(left.stop - meeting) <= 2
    assert (left.start, right.start, right.stop) == (0, left.stop, frame.shape[1])


def test_three_bodies_that_touch_are_refused(tmp_path: Path, metastatic_case: Path) -> None:
    """Three views in one picture with no background between them: cut into three, then refused."""
    study = load_study(metastatic_case / "baseline.dcm")
    two, _ = _touching(study.anterior.counts, study.posterior.counts)
    frame = np.concatenate([two, _within_body(study.anterior.counts)], axis=1)
    assert len(view_columns(frame)) == 3
    path = tmp_path / "three.tif"
    tifffile.imwrite(path, np.round(frame).astype(np.uint16))
    with pytest.raises(InputError, match=rf"^{path}: 3 whole bodies side by side in one image"):
        load_study(path, pixel_spacing_mm=2.26)


def test_one_body_too_wide_for_one_is_not_cut_without_two_heads(study: Study) -> None:
    """The phantom stretched to twice its width (370 outline columns over 828 rows: more than 0.4 of
    its height) still has one head: one view."""
    wide = np.repeat(study.anterior.counts, 2, axis=1)
    assert view_columns(wide) == [slice(0, 512)]


def test_three_bodies_side_by_side_are_refused(tmp_path: Path, study: Study) -> None:
    """Three views in one picture (an anterior, a posterior and a later one, say): which is which?"""
    frame = _side_by_side(_side_by_side(study.anterior.counts, study.posterior.counts), study.anterior.counts)
    path = tmp_path / "three.tif"
    tifffile.imwrite(path, frame.astype(np.uint16))
    with pytest.raises(InputError, match=rf"^{path}: 3 whole bodies side by side in one image"):
        load_study(path, pixel_spacing_mm=2.26)


def test_a_secondary_capture_of_both_views_is_read_as_two(tmp_path: Path, study: Study) -> None:
    frame = _side_by_side(study.anterior.counts, study.posterior.counts)
    loaded = load_study(_secondary_capture(study, frame, tmp_path / "wb.dcm"))
    anterior, posterior = loaded.anterior, loaded.posterior
    assert anterior is not None and posterior is not None
    cut = anterior.source.columns[1]
    assert anterior.source.columns == (0, cut) and posterior.source.columns == (cut, frame.shape[1])
    assert np.array_equal(anterior.counts, frame[:, :cut])  # upright as stored: the header's
    assert np.array_equal(posterior.counts, frame[:, cut:])  # PatientOrientation is the frame's
    assert anterior.declared_counts is None  # CountsAccumulated counts both views
    assert "left part" in anterior.source.view_rule and "right part" in posterior.source.view_rule
    notes = [check.message for check in loaded.quality if check.code == "side_by_side"]
    assert len(notes) == 1 and "shows the spine brighter" in notes[0] and "if that is wrong" in notes[0]


def test_the_posterior_view_on_the_left_is_told_by_its_spine(tmp_path: Path, metastatic_case: Path) -> None:
    """Posterior left, anterior right (a less usual display): the spine below the chest tells them apart."""
    original = load_study(metastatic_case / "baseline.dcm")
    frame = _side_by_side(original.posterior.counts, original.anterior.counts)
    tifffile.imwrite(tmp_path / "export.tif", np.round(frame).astype(np.uint16))
    loaded = load_study(tmp_path / "export.tif", pixel_spacing_mm=2.26)
    cut = loaded.posterior.source.columns[1]
    assert loaded.posterior.source.columns == (0, cut)
    assert np.array_equal(loaded.anterior.counts, frame[:, cut:])
    assert "shows the spine brighter" in loaded.anterior.source.view_rule


def test_when_the_spine_does_not_tell_the_display_convention_does(tmp_path: Path, study: Study) -> None:
    """The same view twice: the spine stands out alike, so the left part is taken as anterior."""
    frame = _side_by_side(study.anterior.counts, study.anterior.counts)
    tifffile.imwrite(tmp_path / "export.tif", frame.astype(np.uint16))
    loaded = load_study(tmp_path / "export.tif", pixel_spacing_mm=2.26)
    assert loaded.anterior.source.columns[0] == 0
    assert "the spine does not tell" in loaded.anterior.source.view_rule


def test_an_exported_picture_of_both_views_needs_no_view_in_its_name(tmp_path: Path, study: Study) -> None:
    frame = _side_by_side(study.anterior.counts, study.posterior.counts)
    path = tmp_path / "wholebody.tif"
    tifffile.imwrite(path, frame.astype(np.uint16))
    loaded = load_study(path, pixel_spacing_mm=2.26)
    assert [view.name for view in loaded.views] == [ViewName.ANTERIOR, ViewName.POSTERIOR]


@pytest.mark.parametrize("touching", [False, True], ids=["apart", "touching"])
def test_a_side_by_side_export_reads_as_the_two_view_study(
    tmp_path: Path, metastatic_case: Path, touching: bool
) -> None:
    """The simulated metastatic patient: its two views side by side in a 16-bit picture, analysed; also
    with no background between the two bodies."""
    original = load_study(metastatic_case / "baseline.dcm")
    frame = _side_by_side(original.anterior.counts, original.posterior.counts)
    if touching:
        frame, _ = _touching(original.anterior.counts, original.posterior.counts)
    tifffile.imwrite(tmp_path / "export.tif", np.round(frame).astype(np.uint16))
    out = tmp_path / "out"
    assert (
        exit_code(["analyze", str(tmp_path / "export.tif"), "--pixel-spacing", "2.26", "--out", str(out)])
        == 0
    )
    result = json.loads((out / "result.json").read_text())
    assert [view["view"] for view in result["views"]] == ["anterior", "posterior"]
    assert result["patient"]["metastasis_probability"] >= 0.5  # a metastatic patient
    reference = _analysed_reference(original, tmp_path / "reference")
    read, alone = result["patient"], reference["patient"]
    assert abs(read["hotspot_count"] - alone["hotspot_count"]) <= 2
    assert abs(read["metastasis_probability"] - alone["metastasis_probability"]) < 0.05


def _analysed_reference(study: Study, out: Path) -> dict:
    """``analyze`` of the same two views given as images of their own (so that only the cut differs)."""
    paths = []
    for view in study.views:
        path = out.parent / f"{view.name.value}.tif"
        tifffile.imwrite(path, np.round(view.counts).astype(np.uint16))
        paths.append(path)
    argv = ["analyze", "--anterior", str(paths[0]), "--posterior", str(paths[1]), "--pixel-spacing", "2.26"]
    assert exit_code([*argv, "--out", str(out)]) == 0
    return json.loads((out / "result.json").read_text())


def test_views_built_in_memory_keep_no_columns() -> None:
    """A view not cut from a wider frame says nothing of columns (result documents unchanged)."""
    view: View = make_study(seed=3).anterior
    assert view.source.columns is None


def test_views_that_look_swapped_are_warned_of(metastatic_case: Path) -> None:
    """A study whose files call the posterior view anterior and the other way round: a warning."""
    original = load_study(metastatic_case / "baseline.dcm")
    assert "views_swapped" not in {check.code for check in original.quality}
    swapped = Study(
        views=(
            dataclasses.replace(original.posterior, name=ViewName.ANTERIOR),
            dataclasses.replace(original.anterior, name=ViewName.POSTERIOR),
        ),
        metadata=original.metadata,
    )
    warnings = [check for check in check_quality(swapped) if check.code == "views_swapped"]
    assert len(warnings) == 1 and "the views may be swapped" in warnings[0].message


def test_a_view_asked_for_is_not_used_on_a_frame_of_both(tmp_path: Path, study: Study) -> None:
    frame = _side_by_side(study.anterior.counts, study.posterior.counts)
    tifffile.imwrite(tmp_path / "scan.tif", frame.astype(np.uint16))
    loaded = load_study(tmp_path / "scan.tif", pixel_spacing_mm=2.26, view="posterior")
    assert [view.name for view in loaded.views] == [ViewName.ANTERIOR, ViewName.POSTERIOR]
    assert "view_not_used" in {check.code for check in loaded.quality}


def _without_view_label(study: Study, view: View, path: Path) -> Path:
    """Write ``view`` alone as an NM image whose header does not say which view it is."""
    dataset = pydicom.dcmread(write_nm_image(study, path, views=[view]))
    for item in dataset.DetectorInformationSequence:
        del item.ViewCodeSequence
    dataset.save_as(path)
    return path


def test_a_lone_view_taken_as_anterior_that_looks_posterior_is_warned_of(
    tmp_path: Path, metastatic_case: Path
) -> None:
    """One view, no label: taken as anterior. The simulated patient's posterior view (its spine below
    the chest 2.70 times the trunk) is warned of; its anterior view (1.37) is not."""
    study = load_study(metastatic_case / "baseline.dcm")
    for index, (view, warned) in enumerate(((study.posterior, True), (study.anterior, False))):
        loaded = load_study(_without_view_label(study, view, tmp_path / f"scan{index}.dcm"))
        assert [v.name for v in loaded.views] == [ViewName.ANTERIOR]
        assert loaded.anterior.source.view_rule.startswith("assumed")
        assert ("view_may_be_posterior" in {check.code for check in loaded.quality}) is warned
