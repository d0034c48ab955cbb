"""Cohorts: the documented mix, reproducible bytes, DICOM that readers accept, consistent truth."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from click.testing import CliRunner

from bonescan.errors import InputError, OutputError
from bonescan.regions import mass_fraction
from bonescan.simulate.cli import simulate_command
from bonescan.simulate.cohort import MIX, CohortConfig, plan_labels, write_cohort

from .conftest import COHORT


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _truths(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob("case*/*.truth.json"))]


@pytest.mark.parametrize("cases", [1, 7, 10, 33, 100])
def test_the_mix_follows_the_documented_proportions(cases: int) -> None:
    labels = plan_labels(cases, seed=3)
    assert len(labels) == cases
    for label, share in MIX.items():
        assert abs(labels.count(label) - share * cases) < 1.0


def test_same_seed_same_bytes_and_other_seed_other_bytes(tmp_path: Path) -> None:
    config = CohortConfig(cases=3, seed=77, repeats=1, followups=1)
    first = _files(write_cohort(tmp_path / "a", config))
    second = _files(write_cohort(tmp_path / "b", config))
    assert len(first) == 1 + 3 * 3 * 3
    assert first == second
    other = _files(write_cohort(tmp_path / "c", CohortConfig(cases=3, seed=78, repeats=1, followups=1)))
    assert other.keys() == first.keys()
    assert all(other[name] != first[name] for name in first if name.endswith(".dcm"))


def test_cohort_manifest_lists_every_case(cohort_dir: Path) -> None:
    manifest = json.loads((cohort_dir / "cohort.json").read_text())
    assert manifest["seed"] == COHORT.seed
    assert len(manifest["case_list"]) == COHORT.cases
    for case in manifest["case_list"]:
        stems = [a["stem"] for a in case["acquisitions"]]
        assert stems == ["baseline", "repeat1", "followup1", "followup2"]
        for stem in stems:
            for suffix in (".dcm", ".truth.json", ".maps.npz"):
                assert (cohort_dir / case["case_id"] / f"{stem}{suffix}").is_file()


@pytest.mark.needs_dciodvfy
def test_dicom_passes_dciodvfy(cohort_dir: Path, dciodvfy: str) -> None:
    for path in sorted(cohort_dir.glob("case0000[12]/*.dcm")):
        result = subprocess.run([dciodvfy, str(path)], capture_output=True, text=True, check=False)
        errors = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("Error")]
        assert errors == [], path


def test_dicom_frames_hold_the_counts_and_metadata_of_the_truth(cohort_dir: Path) -> None:
    for truth in _truths(cohort_dir):
        folder = cohort_dir / truth["case_id"]
        dataset = pydicom.dcmread(folder / truth["files"]["dicom"])
        frames = dataset.pixel_array
        assert frames.shape == (2, 1024, 256)
        assert int(frames[0].sum()) == truth["image"]["counts"]["anterior"]
        assert int(frames[1].sum()) == truth["image"]["counts"]["posterior"]
        assert dataset.PatientSex == truth["patient"]["sex"]
        item = dataset.RadiopharmaceuticalInformationSequence[0]
        assert item.Radiopharmaceutical == truth["acquisition"]["tracer"]
        assert float(item.RadionuclideTotalDose) == pytest.approx(truth["acquisition"]["activity_mbq"])


def test_bonescan_reader_loads_the_files(cohort_dir: Path) -> None:
    from bonescan.io import load_study

    truth = _truths(cohort_dir)[0]
    study = load_study(cohort_dir / truth["case_id"] / truth["files"]["dicom"])
    assert [view.name.value for view in study.views] == ["anterior", "posterior"]
    assert study.views[0].total_counts == truth["image"]["counts"]["anterior"]
    assert study.metadata.uptake_interval_hours == pytest.approx(
        truth["acquisition"]["uptake_interval_h"], abs=1 / 3600
    )


def test_maps_match_the_truth(cohort_dir: Path) -> None:
    for truth in _truths(cohort_dir):
        maps = np.load(cohort_dir / truth["case_id"] / truth["files"]["maps"])
        for view in ("anterior", "posterior"):
            found = maps[f"findings_{view}"]
            assert set(np.unique(found).tolist()) <= {0} | {f["id"] for f in truth["findings"]}
            for finding in truth["findings"]:
                record = finding["views"][view]
                key = f"mask_{finding['id']:03d}_{view}"
                if record is None:
                    assert key not in maps.files
                    assert finding["id"] == 0 or finding["kind"] == "super_scan"
                    continue
                mask = maps[key]
                row0, row1, col0, col1 = record["bbox"]
                assert mask.shape == (row1 - row0 + 1, col1 - col0 + 1)
                assert int(mask.sum()) == record["area_px"]
                rows, cols = np.nonzero(mask)
                centre = [round(float(rows.mean()) + row0, 2), round(float(cols.mean()) + col0, 2)]
                assert centre == pytest.approx(record["centre"], abs=0.01)
                dominant = found[row0 : row1 + 1, col0 : col1 + 1] == finding["id"]
                assert not np.any(dominant & ~mask)


def test_true_bsi_follows_its_definition(cohort_dir: Path) -> None:
    for truth in _truths(cohort_dir):
        bsi = truth["bsi"]
        expected = 100 * sum(mass_fraction(name) * f for name, f in bsi["involved_fraction"].items())
        assert bsi["value"] == pytest.approx(expected, abs=1e-3)
        malignant = [f for f in truth["findings"] if f["malignant"] and f["status"] != "resolved"]
        assert (bsi["value"] > 0) == bool(malignant)
        assert bsi["hot_only"] <= bsi["value"] + 1e-9
        if truth["patient"]["label"] == "normal":
            assert truth["findings"] == []


def test_repeats_differ_only_by_noise(cohort_dir: Path) -> None:
    for folder in sorted(cohort_dir.glob("case*")):
        base = json.loads((folder / "baseline.truth.json").read_text())
        repeat = json.loads((folder / "repeat1.truth.json").read_text())
        assert repeat["bsi"] == base["bsi"]
        assert repeat["image"]["expected_counts"] == base["image"]["expected_counts"]
        a = pydicom.dcmread(folder / "baseline.dcm").pixel_array
        b = pydicom.dcmread(folder / "repeat1.dcm").pixel_array
        assert not np.array_equal(a, b)


def test_followups_track_lesions_by_lineage(cohort_dir: Path) -> None:
    statuses: set[str] = set()
    for folder in sorted(cohort_dir.glob("case*")):
        previous = json.loads((folder / "baseline.truth.json").read_text())
        for k in (1, 2):
            truth = json.loads((folder / f"followup{k}.truth.json").read_text())
            assert truth["acquisition"]["days_from_baseline"] > previous["acquisition"]["days_from_baseline"]
            before = {f["lineage"] for f in previous["findings"] if f["status"] != "resolved"}
            for finding in truth["findings"]:
                statuses.add(finding["status"])
                if finding["status"] in ("new",):
                    assert finding["lineage"] not in before
                elif finding["status"] != "flare":
                    assert finding["lineage"] in before
            previous = truth
    assert statuses  # the small cohort holds findings that evolve


def test_refuses_a_non_empty_folder_and_leaves_no_partial_output(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    with pytest.raises(OutputError):
        write_cohort(target, CohortConfig(cases=1, seed=1))
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]


def test_writes_into_an_existing_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    write_cohort(target, CohortConfig(cases=1, seed=1))
    assert (target / "cohort.json").is_file()


@pytest.mark.parametrize(
    "config",
    [
        CohortConfig(0, 1),
        CohortConfig(2, -1),
        CohortConfig(2, 1, repeats=-1),
        CohortConfig(2, 1, catheters=1.5),
    ],
)
def test_bad_settings_are_input_errors(tmp_path: Path, config: CohortConfig) -> None:
    with pytest.raises(InputError):
        write_cohort(tmp_path / "out", config)
    assert not (tmp_path / "out").exists()


def test_cli_command(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(simulate_command, ["--out", str(tmp_path / "cli"), "--cohort", "2", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "wrote 2 patients" in result.output
    assert len(list((tmp_path / "cli").glob("case*/baseline.dcm"))) == 2
    again = runner.invoke(simulate_command, ["--out", str(tmp_path / "cli"), "--cohort", "2"])
    assert isinstance(again.exception, OutputError)


def test_truth_records_the_version_and_the_acquisition_physics(cohort_dir: Path) -> None:
    from bonescan.simulate.physics import fwhm_mm

    for truth in _truths(cohort_dir):
        assert truth["simulator_version"] == "9"
        factor = truth["acquisition"]["resolution_factor"]
        assert 0.8 <= factor <= 1.5
        assert truth["image"]["fwhm_mm_at_10cm"] == pytest.approx(fwhm_mm(100.0) * factor, abs=0.01)
        assert isinstance(truth["acquisition"]["body_contour"], bool)
        assert 0.30 <= truth["patient"]["bone_uptake_fraction"] <= 0.60


def test_a_catheter_adds_its_bag_and_drains_the_bladder_and_changes_nothing_else() -> None:
    from bonescan.simulate import cohort
    from bonescan.simulate.catheter import DRAINED_HOURS

    plain = cohort._draw_case(77, 3, "metastatic", catheters=0.0)
    with_bag = cohort._draw_case(77, 3, "metastatic", catheters=1.0)
    assert [f.kind for f in with_bag.findings] == [f.kind for f in plain.findings] + ["catheter_bag"]
    assert with_bag.findings[:-1] == plain.findings  # its own random stream
    assert with_bag.baseline.hours_since_void == DRAINED_HOURS
    assert plain.baseline.hours_since_void > DRAINED_HOURS


def test_degenerative_joints_are_drawn_besides_other_findings_of_older_patients_not_labelled_normal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bonescan.simulate import cohort

    def joints(case: Any) -> list[Any]:
        return [f for f in case.findings if f.cause.startswith("degenerative joint disease")]

    drawn = {label: [cohort._draw_case(93, n, label) for n in range(1, 41)] for label in MIX}
    assert not any(joints(case) for case in drawn["normal"])
    for label in ("benign", "metastatic"):
        with_it = [case for case in drawn[label] if joints(case)]
        assert 8 <= len(with_it) <= 30, label
        assert np.mean([c.info.patient.age_years for c in with_it]) > np.mean(
            [c.info.patient.age_years for c in drawn[label]]
        )
    metastatic = [c for c in drawn["metastatic"] if joints(c)]
    assert all(any(f.malignant for f in case.findings) for case in metastatic)  # besides the metastases
    knees = [f for case in metastatic for f in joints(case) if f.cause.endswith("(knee)")]
    assert {f.region.split("_")[0] for f in knees} <= {"femur", "tibia"} and knees
    for case in drawn["benign"] + metastatic:
        regions = [f.region for f in joints(case)]
        assert len(regions) == len(set(regions))  # one degenerative finding a joint
    plain = [cohort._draw_case(93, number, "metastatic", catheters=0.0) for number in range(1, 41)]
    monkeypatch.setattr(cohort, "joint_degeneration_share", lambda age: 0.0)
    for number, case in enumerate(plain, start=1):  # a random stream of its own
        without = cohort._draw_case(93, number, "metastatic", catheters=0.0)
        assert case.findings[: len(without.findings)] == without.findings
        assert case.baseline == without.baseline
    assert sum(len(c.findings) for c in plain) > sum(
        len(cohort._draw_case(93, n, "metastatic", catheters=0.0).findings) for n in range(1, 41)
    )


def test_spondylosis_is_drawn_besides_other_findings_of_older_patients_not_labelled_normal() -> None:
    from bonescan.simulate import cohort

    def spondylosis(case: Any) -> list[Any]:
        return [f for f in case.findings if f.cause.startswith(("spondylosis", "degenerative disc"))]

    drawn = {label: [cohort._draw_case(91, n, label) for n in range(1, 41)] for label in MIX}
    assert not any(spondylosis(case) for case in drawn["normal"])
    for label in ("benign", "metastatic"):
        with_it = [case for case in drawn[label] if spondylosis(case)]
        assert 4 <= len(with_it) <= 28, label
        assert np.mean([c.info.patient.age_years for c in with_it]) > np.mean(
            [c.info.patient.age_years for c in drawn[label]]
        )
    case = next(c for c in drawn["metastatic"] if spondylosis(c))
    assert any(f.malignant for f in case.findings)  # besides the metastases
