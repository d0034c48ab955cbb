from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bonescan.io import write_nm_image
from bonescan.study import Study
from tests.phantoms import make_study

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _require(condition: bool, reason: str) -> None:
    """Skip on a developer's machine without the resource; fail in CI, where it must exist."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    _require((SHARED_DATA / "nm1" / "NM1_UNC.dcm").is_file(), f"no real test data in {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def dciodvfy() -> str:
    path = shutil.which("dciodvfy")
    _require(path is not None, "dciodvfy (Debian package dicom3tools) is not installed")
    assert path is not None
    return path


def exit_code(argv: list[str]) -> int:
    """Run the ``bonescan`` command in-process; return its exit status."""
    from bonescan.cli import main

    try:
        main(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


def dciodvfy_errors(tool: str, path: Path) -> list[str]:
    """Return the lines dciodvfy reports as errors for a file."""
    result = subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)
    return [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("Error")]


@pytest.fixture
def study() -> Study:
    return make_study(seed=1)


@pytest.fixture
def nm_file(tmp_path: Path, study: Study) -> Path:
    return write_nm_image(study, tmp_path / "study.dcm")


@pytest.fixture(scope="session")
def metastatic_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated patient with metastases (the first metastatic case of a small seeded cohort)."""
    from bonescan.simulate.cohort import CohortConfig, write_cohort

    out = write_cohort(tmp_path_factory.mktemp("sim") / "cohort", CohortConfig(cases=6, seed=4711))
    for case in sorted(out.glob("case*")):
        truth = json.loads((case / "baseline.truth.json").read_text())
        if truth["patient"]["label"] == "metastatic":
            return case
    pytest.fail("the seeded cohort has no metastatic patient")


@pytest.fixture(scope="session")
def metastatic_result(metastatic_case: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The result folder (no reports) of ``bonescan analyze`` on the simulated metastatic patient."""
    from bonescan.analysis_files import write_analysis
    from bonescan.assessment import analyze
    from bonescan.io import load_study

    folder = tmp_path_factory.mktemp("results") / "metastatic"
    return write_analysis(analyze(load_study(metastatic_case / "baseline.dcm"), primary="prostate"), folder)


@pytest.fixture(scope="session")
def nm1_result_folder(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The result folder (no reports) of ``bonescan analyze`` on the real NEMA NM1 scan."""
    from bonescan.analysis_files import write_analysis
    from bonescan.assessment import analyze
    from bonescan.io import load_study

    folder = tmp_path_factory.mktemp("results") / "nm1"
    return write_analysis(analyze(load_study(shared_data / "nm1" / "NM1_UNC.dcm")), folder)
