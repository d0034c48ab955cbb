"""The result folder of ``bonescan analyze``: outlines, inputs, labels, manifest, confirmation, reload."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bonescan.errors import BonescanError, InputError
from bonescan.report import load_report_source
from bonescan.report.figures import annotated_views, label_colour
from bonescan.report_folder import confirm_result, remake_reports
from tests.conftest import exit_code


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_hotspot_outline_encloses_its_centroid(metastatic_result: Path) -> None:
    document = json.loads((metastatic_result / "result.json").read_text())
    assert document["hotspots"], "the metastatic patient must have findings"
    for spot in document["hotspots"]:
        outline = np.asarray(spot["outline"])
        assert outline.ndim == 2 and outline.shape[1] == 2 and len(outline) >= 4
        rows, columns = outline[:, 0], outline[:, 1]
        assert rows.min() <= spot["row"] <= rows.max()
        assert columns.min() <= spot["column"] <= columns.max()
        # the polygon's area is the spot's area in pixels, to within the half-pixel edge
        area_px = 0.5 * abs(np.dot(rows, np.roll(columns, 1)) - np.dot(columns, np.roll(rows, 1)))
        view = next(v for v in document["views"] if v["view"] == spot["view"])
        pixel_mm2 = view["pixel_spacing_mm"][0] * view["pixel_spacing_mm"][1]
        assert area_px == pytest.approx(spot["area_mm2"] / pixel_mm2, rel=0.6, abs=3)


def test_manifest_lists_inputs_and_outputs_with_their_hashes(
    metastatic_case: Path, metastatic_result: Path
) -> None:
    manifest = json.loads((metastatic_result / "manifest.json").read_text())
    assert manifest["inputs"] == [
        {
            "path": str((metastatic_case / "baseline.dcm").resolve()),
            "sha256": _sha256(metastatic_case / "baseline.dcm"),
        }
    ]
    listed = {entry["path"]: entry["sha256"] for entry in manifest["outputs"]}
    assert set(listed) == {"result.json", "anatomy.npz"}
    for name, digest in listed.items():
        assert digest == _sha256(metastatic_result / name)
    assert manifest["options"]["primary"] == "prostate"
    assert manifest["software"]["name"] == "bonescan"


def test_a_result_folder_reloads_to_the_same_document_and_labels(metastatic_result: Path) -> None:
    source = load_report_source(metastatic_result)
    assert source.document == json.loads((metastatic_result / "result.json").read_text())
    with np.load(metastatic_result / "anatomy.npz") as maps:
        for view in source.study.views:
            assert np.array_equal(
                view.orientation.apply(maps[f"labels_{view.name.value}"]), source.labels[view.name]
            )
    numbers = [finding.number for finding in source.findings()]
    assert numbers == sorted(set(numbers))
    assert source.confirmation is None


def test_the_annotated_picture_draws_each_finding_in_its_label_colour(metastatic_result: Path) -> None:
    source = load_report_source(metastatic_result)
    picture = np.asarray(annotated_views(source))
    for finding in source.findings():
        colour = np.array(label_colour(finding.label))
        assert (np.abs(picture.astype(int) - colour).sum(axis=2) == 0).any(), finding.label
    grey = picture[..., 0] == picture[..., 1]
    assert grey.mean() > 0.95  # the views stay grey; only outlines and numbers are coloured


def test_a_changed_input_is_refused(metastatic_case: Path, metastatic_result: Path, tmp_path: Path) -> None:
    copy = tmp_path / "baseline.dcm"
    shutil.copy(metastatic_case / "baseline.dcm", copy)
    folder = tmp_path / "result"
    assert exit_code(["analyze", str(copy), "--out", str(folder)]) == 0
    data = bytearray(copy.read_bytes())
    data[-1] ^= 0xFF  # one pixel changed
    copy.write_bytes(bytes(data))
    with pytest.raises(InputError, match="has changed since the analysis"):
        load_report_source(folder)


def test_an_anonymized_result_names_no_paths_and_needs_the_inputs(
    metastatic_case: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "anon"
    assert (
        exit_code(["analyze", str(metastatic_case / "baseline.dcm"), "--out", str(folder), "--anonymize"])
        == 0
    )
    text = (folder / "result.json").read_text() + (folder / "manifest.json").read_text()
    assert str(metastatic_case) not in text
    assert json.loads((folder / "result.json").read_text())["inputs"]["anonymized"] is True
    with pytest.raises(InputError, match="give the input"):
        load_report_source(folder)
    source = load_report_source(folder, inputs=(metastatic_case / "baseline.dcm",))
    assert source.anonymized and source.study.identity.name is None
    assert source.study.metadata.study_date is None and source.study.metadata.acquisition_time is None
    assert all(view.acquisition_time is None for view in source.study.views)


def test_confirmation_is_recorded_and_read_back(metastatic_result: Path, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(metastatic_result, folder)
    with pytest.raises(InputError, match="physician"):
        confirm_result(folder, "  ")
    confirm_result(folder, "Dr A. Reader", "agree")
    source = load_report_source(folder)
    assert source.confirmation is not None
    assert source.confirmation.physician == "Dr A. Reader" and source.confirmation.comment == "agree"
    with pytest.raises(InputError, match=r"result\.json"):
        confirm_result(tmp_path, "Dr A. Reader")


def test_unknown_report_formats_are_refused_before_any_work(metastatic_result: Path, tmp_path: Path) -> None:
    with pytest.raises(BonescanError, match="unknown report format"):
        remake_reports(metastatic_result, ["docx"])
    out = tmp_path / "never"
    assert exit_code(["analyze", "x.dcm", "--out", str(out), "--report", "docx"]) != 0
    assert not out.exists()
