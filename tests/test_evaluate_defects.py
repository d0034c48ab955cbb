"""Defects cut into simulated scans (``bonescan evaluate defects``): the cut, the scoring, the command.

The scoring is checked with a detector that knows the answer: it compares the study it is given with
the file it came from and reports a cold hotspot at the centre of the first cut it sees (so exactly
one defect a scan is found), plus, when asked, a cold hotspot outside the body (a false one).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import ndimage

from bonescan.cli import cli
from bonescan.errors import InputError
from bonescan.evaluate.defects import DEFECT_REGIONS, KEEP, RADIUS_MM, cut_defects, evaluate_defects
from bonescan.io import load_study
from bonescan.study import Study


def _maps(case: Path) -> dict[str, np.ndarray]:
    with np.load(case / "baseline.maps.npz") as loaded:
        return {name: loaded[name] for name in ("labels_anterior", "findings_anterior")}


def test_a_cut_thins_the_counts_of_one_disc_in_each_view_and_nothing_else(metastatic_case: Path) -> None:
    """Counts only fall, only inside the discs, and the posterior disc is the anterior one mirrored."""
    study = load_study(metastatic_case / "baseline.dcm")
    cut, defects = cut_defects(study, _maps(metastatic_case), np.random.default_rng(0))
    assert len(defects) == 2
    columns = study.views[0].shape[1]
    for defect in defects:
        assert defect.region in DEFECT_REGIONS
        assert RADIUS_MM[0] <= defect.radius_mm <= RADIUS_MM[1] and KEEP[0] <= defect.keep <= KEEP[1]
        front, back = defect.centres["anterior"], defect.centres["posterior"]
        assert back == (front[0], columns - 1 - front[1])
    for before, after in zip(study.views, cut.views, strict=True):
        changed = np.asarray(after.counts) != np.asarray(before.counts)
        assert (np.asarray(after.counts) <= np.asarray(before.counts)).all()
        rows, cols = np.nonzero(changed)
        spacing = float(np.mean(before.pixel_spacing_mm))
        near = np.zeros(rows.size, dtype=bool)
        for defect in defects:
            centre = defect.centres[before.name.value]
            near |= np.hypot(rows - centre[0], cols - centre[1]) <= defect.radius_mm / spacing
        assert near.all()
    again, same = cut_defects(study, _maps(metastatic_case), np.random.default_rng(0))
    assert same == defects
    assert all((a.counts == b.counts).all() for a, b in zip(again.views, cut.views, strict=True))


def _first_cut_finder(false_cold: bool) -> Any:
    def analyze(study: Study) -> Mapping[str, Any]:
        original = load_study(study.sources[0])
        hotspots = []
        for index, (before, after) in enumerate(zip(original.views, study.views, strict=True)):
            labelled, _ = ndimage.label(np.asarray(after.counts) < np.asarray(before.counts), np.ones((3, 3)))
            first = labelled[np.nonzero(labelled)][0]
            row, column = np.argwhere(labelled == first).mean(axis=0)
            hotspots.append(
                {
                    "view": after.name.value,
                    "row": float(row),
                    "column": float(column),
                    "kind": "cold",
                    "finding_id": 1,
                    "metastasis_probability": 0.3,
                    "label": "myeloma_or_lytic",
                }
            )
            if false_cold and index == 0:
                hotspots.append(
                    {
                        "view": after.name.value,
                        "row": 2.0,
                        "column": 2.0,
                        "kind": "cold",
                        "finding_id": 2,
                        "metastasis_probability": 0.3,
                        "label": "myeloma_or_lytic",
                    }
                )
        views = [
            {
                "view": v.name.value,
                "rows": v.shape[0],
                "columns": v.shape[1],
                "pixel_spacing_mm": list(v.pixel_spacing_mm),
            }
            for v in study.views
        ]
        return {"schema_version": "1", "views": views, "hotspots": hotspots}

    return analyze


def test_scoring_counts_found_defects_and_false_cold_findings(metastatic_case: Path) -> None:
    """One of the two defects of each scan is found; a cold spot outside the body is one false one."""
    cohort = metastatic_case.parent
    figures = evaluate_defects(cohort, _first_cut_finder(False), limit=2).as_dict()
    assert figures["scans"] == 2
    assert figures["defects"] == {"found": 2, "of": 4, "share": 0.5}
    assert figures["false_cold_per_scan"] == 0.0
    with_false = evaluate_defects(cohort, _first_cut_finder(True), limit=2).as_dict()
    assert with_false["false_cold_per_scan"] == 1.0
    assert sum(entry["of"] for entry in figures["by_kept_share"].values()) == 4


def test_scoring_needs_a_simulated_cohort(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no case"):
        evaluate_defects(tmp_path, _first_cut_finder(False))


def test_the_command_reports_found_defects_and_false_cold_findings(
    metastatic_case: Path, tmp_path: Path
) -> None:
    """The real analysis on one simulated scan: the figures are printed and written; bad input exits 2."""
    out = tmp_path / "defects.json"
    result = CliRunner().invoke(
        cli, ["evaluate", "defects", str(metastatic_case.parent), "--limit", "1", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 scans: ")
    assert "false cold finding(s) a scan" in result.output
    assert out.exists()
    empty = CliRunner().invoke(cli, ["evaluate", "defects", str(tmp_path / "nothing")])
    assert empty.exit_code == 2
    assert "no case*/baseline.dcm here" in empty.output
