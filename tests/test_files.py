"""Output folders: written beside the target, moved into place only when all went well."""

from __future__ import annotations

from pathlib import Path

import pytest

from bonescan._files import output_folder
from bonescan.errors import OutputError


def test_output_folder_replaces_an_empty_target(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    with output_folder(target) as temporary:
        (temporary / "result.json").write_text("{}")
    assert [p.name for p in target.iterdir()] == ["result.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_output_folder_keeps_what_another_program_wrote_meanwhile(tmp_path: Path) -> None:
    target = tmp_path / "out"
    filled = pytest.raises(OutputError, match="filled by another program")
    with filled, output_folder(target) as temporary:
        (temporary / "result.json").write_text("{}")
        target.mkdir()
        (target / "theirs.txt").write_text("keep me")
    assert [p.name for p in target.iterdir()] == ["theirs.txt"]
    assert (target / "theirs.txt").read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_output_folder_with_overwrite_replaces_a_full_target(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with output_folder(target, overwrite=True) as temporary:
        (temporary / "new.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.txt"]


def test_output_folder_refuses_a_full_target_up_front(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(OutputError, match="exists and is not empty"), output_folder(target):
        pytest.fail("the body must not run")
    assert (target / "old.txt").read_text() == "old"


@pytest.mark.parametrize("overwrite", [False, True])
def test_output_folder_refuses_a_file_even_with_overwrite(tmp_path: Path, overwrite: bool) -> None:
    target = tmp_path / "result.json"
    target.write_text("{}")
    with pytest.raises(OutputError, match="is a file"), output_folder(target, overwrite=overwrite):
        pytest.fail("the body must not run")
    assert target.read_text() == "{}"
