"""The command line, run in-process: output, exit codes and no partial output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from bonescan import cli as cli_module
from bonescan.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_inspect_real_scan_shows_the_documented_facts(runner: CliRunner, shared_data: Path) -> None:
    result = runner.invoke(cli, ["inspect", str(shared_data / "nm1" / "NM1_UNC.dcm")])
    assert result.exit_code == 0, result.output
    assert "1 view (anterior)" in result.output
    assert "1024×256 pixels, 2.26 × 2.26 mm" in result.output
    assert "3,596,452" in result.output
    assert "CompressedSamples" not in result.output  # identity only on request


def test_inspect_json(runner: CliRunner, nm_file: Path) -> None:
    result = runner.invoke(cli, ["inspect", "--json", "--show-identity", str(nm_file)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert [v["view"] for v in summary["views"]] == ["anterior", "posterior"]
    assert summary["views"][1]["patient_left_on"] == "image_left"
    assert summary["uptake_interval_hours"] == pytest.approx(3.25)
    assert summary["identity"]["name"] == "Test^Phantom"
    assert summary["quality"] == []


@pytest.mark.parametrize("name", ["UNIFORMIDAD_1.dcm", "FourBar.dcm", "QuadrantBar.dcm", "Jaszack.dcm"])
def test_qc_files_exit_2_with_one_line(runner: CliRunner, shared_data: Path, name: str) -> None:
    path = shared_data / "nmqc" / name
    result = runner.invoke(cli, ["inspect", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"bonescan: error: {path}: ")
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "missing.dcm"
    result = runner.invoke(cli, ["--debug", "inspect", str(missing)])
    assert result.exit_code == 2
    assert "Traceback" in result.stderr


def test_internal_error_exits_1(runner: CliRunner, nm_file: Path, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli_module, "load_study", broken)
    result = runner.invoke(cli, ["inspect", str(nm_file)])
    assert result.exit_code == 1
    assert "internal error: boom (run with --debug for details)" in result.stderr


def test_usage_error_exits_2(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["inspect", "--view", "lateral", "x.dcm"]).exit_code == 2


def test_render_writes_both_views_side_by_side(runner: CliRunner, nm_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "views.png"
    result = runner.invoke(cli, ["render", str(nm_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.mode == "L"
        assert image.width == 2 * 256 + 16
        assert image.height == 1024 + 28
        pixels = image.load()
        assert pixels[5, 1040] == 255  # white background outside the body: inverted grey


def test_render_keeps_an_existing_file_unless_forced(
    runner: CliRunner, nm_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "views.png"
    out.write_bytes(b"keep me")
    result = runner.invoke(cli, ["render", str(nm_file), "-o", str(out)])
    assert result.exit_code == 2
    assert out.read_bytes() == b"keep me"
    assert runner.invoke(cli, ["render", str(nm_file), "-o", str(out), "--force"]).exit_code == 0
    assert out.read_bytes().startswith(b"\x89PNG")


def test_render_never_overwrites_an_input(runner: CliRunner, nm_file: Path) -> None:
    before = nm_file.read_bytes()
    result = runner.invoke(cli, ["render", str(nm_file), "-o", str(nm_file), "--force"])
    assert result.exit_code == 2
    assert "is one of the inputs" in result.stderr
    assert nm_file.read_bytes() == before


def test_bad_input_leaves_no_output(runner: CliRunner, shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "views.png"
    result = runner.invoke(cli, ["render", str(shared_data / "nmqc" / "Jaszack.dcm"), "-o", str(out)])
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_render_into_a_missing_folder_is_bad_input(runner: CliRunner, nm_file: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["render", str(nm_file), "-o", str(tmp_path / "no" / "views.png")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_version(runner: CliRunner) -> None:
    from bonescan import __version__

    assert runner.invoke(cli, ["--version"]).output.strip().endswith(__version__)
