"""``bonescan analyze --report``, ``bonescan confirm`` and ``bonescan report`` end to end, in-process."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pydicom
import pytest

from tests.conftest import exit_code

ALL_FILES = {
    "result.json",
    "anatomy.npz",
    "manifest.json",
    "report.html",
    "report.pdf",
    "patient-summary.html",
    "dicom/sr.dcm",
    "dicom/sc.dcm",
    "dicom/seg.dcm",
}


def _files(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def reported(metastatic_case: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "study"
    argv = ["analyze", str(metastatic_case / "baseline.dcm"), "--out", str(folder), "--primary", "prostate"]
    assert exit_code([*argv, "--report", "html,pdf,dicom"]) == 0
    return folder


def test_analyze_writes_every_report_and_a_manifest_that_lists_them(reported: Path) -> None:
    files = _files(reported)
    assert files >= ALL_FILES
    assert {"dicom/view-anterior.dcm", "dicom/view-posterior.dcm"} <= files
    manifest = json.loads((reported / "manifest.json").read_text())
    listed = {entry["path"]: entry["sha256"] for entry in manifest["outputs"]}
    assert set(listed) == files - {"manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256((reported / name).read_bytes()).hexdigest() == digest
    assert manifest["options"] == {
        "primary": "prostate",
        "pretest_probability": 0.1,  # prostate cancer's default
        "reports": ["html", "pdf", "dicom"],
        "anonymized": False,
    }
    assert manifest["seconds"] > 0
    assert [step["action"] for step in manifest["history"]] == ["analyze"]


def test_confirming_and_remaking_lifts_the_draft_mark(reported: Path, tmp_path: Path) -> None:
    summary = (reported / "patient-summary.html").read_text()
    assert "DRAFT" in summary
    assert pydicom.dcmread(reported / "dicom" / "sr.dcm").VerificationFlag == "UNVERIFIED"
    assert exit_code(["confirm", str(reported), "--physician", "Dr Ada Reader"]) == 0
    assert exit_code(["report", str(reported)]) == 0
    summary = (reported / "patient-summary.html").read_text()
    assert "DRAFT" not in summary and "Ada Reader" in summary
    sr = pydicom.dcmread(reported / "dicom" / "sr.dcm")
    assert sr.VerificationFlag == "VERIFIED"
    manifest = json.loads((reported / "manifest.json").read_text())
    assert [step["action"] for step in manifest["history"]] == ["analyze", "report"]
    assert manifest["history"][1]["confirmed_by"] == "Dr Ada Reader"
    assert manifest["options"]["primary"] == "prostate"  # the analysis options are kept


def test_report_on_a_folder_that_is_not_a_result_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_code(["report", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "result.json" in error[0]
    assert list(tmp_path.iterdir()) == []


def test_bad_input_with_reports_leaves_no_folder(tmp_path: Path) -> None:
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"not dicom")
    out = tmp_path / "out"
    assert exit_code(["analyze", str(bad), "--out", str(out), "--report", "html,pdf,dicom"]) == 2
    assert not out.exists()


def test_the_real_scan_gets_every_report(shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "nm1"
    assert (
        exit_code(
            [
                "analyze",
                str(shared_data / "nm1" / "NM1_UNC.dcm"),
                "--out",
                str(folder),
                "--report",
                "html,pdf,dicom",
            ]
        )
        == 0
    )
    assert _files(folder) >= ALL_FILES
    assert "dicom/view-posterior.dcm" not in _files(folder)
