"""Evaluation of findings against simulator truth: matching rules, statistics and the cohort runner."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bonescan.errors import InputError
from bonescan.evaluate.findings import (
    FindingsEvaluation,
    LesionMatch,
    evaluate_findings,
    match_scan,
    score_scan,
)
from bonescan.evaluate.metrics import (
    Proportion,
    auc_mann_whitney,
    froc_points,
    mean_and_sd,
    pearson,
    sensitivity_specificity,
    threshold_for_sensitivity,
)
from bonescan.simulate.cohort import CohortConfig, write_cohort

SPACING = 2.0  # mm per pixel: a 10 mm margin is 5 pixels
VIEWS = ("anterior", "posterior")


# ---------------------------------------------------------------------------------------------------
# Hand-written truth and result dicts


def finding(
    fid: int,
    *,
    kind: str = "metastasis",
    polarity: str = "hot",
    malignant: bool = True,
    centre: tuple[float, float] = (100.0, 50.0),
    half: int = 3,
    diameter_mm: float = 10.0,
    views: tuple[str, ...] = ("anterior",),
    status: str = "present",
    radius_mm: float = 10.0,
    uptake: float = 3.0,
    contrast: float = 1.5,
) -> dict[str, Any]:
    r, c = int(centre[0]), int(centre[1])
    entry = {
        "centre": list(centre),
        "bbox": [r - half, r + half, c - half, c + half],
        "area_px": 20,
        "contrast": contrast,
        "equivalent_diameter_mm": diameter_mm,
    }
    return {
        "id": fid,
        "kind": kind,
        "polarity": polarity,
        "malignant": malignant,
        "status": status,
        "region": "lumbar_spine",
        "radius_mm": [radius_mm],
        "uptake_ratio": [uptake],
        "views": {view: dict(entry) for view in views},
    }


def truth(findings: list[dict[str, Any]], *, label: str = "metastatic", bsi: float = 0.5) -> dict[str, Any]:
    return {
        "case_id": "case00001",
        "patient": {"label": label},
        "bsi": {"value": bsi},
        "image": {"rows": 1024, "columns": 256, "pixel_spacing_mm": SPACING},
        "findings": findings,
    }


def hotspot(
    fid: int,
    row: float = 100.0,
    column: float = 50.0,
    *,
    view: str = "anterior",
    kind: str = "hot",
    label: str = "metastasis",
    p: float = 0.9,
) -> dict[str, Any]:
    return {
        "view": view,
        "row": row,
        "column": column,
        "kind": kind,
        "area_mm2": 40.0,
        "region": "lumbar_spine",
        "metastasis_probability": p,
        "label": label,
        "finding_id": fid,
    }


def result(hotspots: list[dict[str, Any]], *, p: float = 0.9, bsi: float = 0.5) -> dict[str, Any]:
    return {
        "schema_version": "1",
        "views": [
            {"view": v, "rows": 1024, "columns": 256, "pixel_spacing_mm": [SPACING, SPACING]} for v in VIEWS
        ],
        "hotspots": hotspots,
        "patient": {
            "metastasis_probability": p,
            "bsi_percent": bsi,
            "hotspot_count": len(hotspots),
            "impression": "",
        },
    }


# ---------------------------------------------------------------------------------------------------
# Matching


def test_hit_is_matched_with_its_distance() -> None:
    match = match_scan(result([hotspot(1, 100.0, 54.0)]), truth([finding(1)]))
    assert match.matches == (LesionMatch(predicted=0, truth=0, view="anterior", distance_mm=8.0),)
    assert match.detected("metastatic_hot") == Proportion(1, 1)
    assert match.false_positives == ()


def test_miss_and_false_positive() -> None:
    match = match_scan(result([hotspot(1, 300.0, 50.0)]), truth([finding(1)]))
    assert match.matches == ()
    assert match.detected("metastatic_hot") == Proportion(0, 1)
    assert [p.finding_id for p in match.false_positives] == [1]


def test_grown_bbox_rule() -> None:
    # bbox rows 97..103 cover 96.5..103.5; grown by 10 mm = 5 px: up to 108.5. The distance rule
    # (5 mm radius + 10 mm = 15 mm = 7.5 px from row 100) alone would stop at 107.5.
    inside = match_scan(result([hotspot(1, 108.4)]), truth([finding(1)]))
    outside = match_scan(result([hotspot(1, 108.6)]), truth([finding(1)]))
    assert len(inside.matches) == 1
    assert inside.matches[0].distance_mm == pytest.approx(16.8)
    assert outside.matches == ()


def test_equivalent_radius_rule() -> None:
    # diameter 40 mm: radius 20 mm + 10 mm margin = 30 mm = 15 px, beyond the grown bbox (108.5).
    big = finding(1, diameter_mm=40.0)
    assert len(match_scan(result([hotspot(1, 114.9)]), truth([big])).matches) == 1
    assert match_scan(result([hotspot(1, 115.1)]), truth([big])).matches == ()


def test_margin_is_a_parameter() -> None:
    scan_result, scan_truth = result([hotspot(1, 108.4)]), truth([finding(1)])
    assert match_scan(scan_result, scan_truth, margin_mm=0.0).matches == ()
    with pytest.raises(ValueError, match="margin"):
        match_scan(scan_result, scan_truth, margin_mm=-1.0)


def test_physiological_is_not_a_false_positive() -> None:
    bladder = hotspot(7, 600.0, 128.0, label="physiological", p=0.01)
    match = match_scan(result([bladder]), truth([], label="normal", bsi=0.0))
    assert match.false_positives == ()
    assert [p.finding_id for p in match.physiological_unmatched] == [7]


def test_a_lesion_behind_the_bladder_is_its_own_detections_not_the_bladders() -> None:
    # a metastasis in both views at row 100; the bladder's spot in the anterior view 2 mm from it,
    # the metastasis's own detection in the posterior view 6 mm from it
    behind = truth([finding(1, views=VIEWS)])
    bladder = hotspot(7, 101.0, 50.0, view="anterior", label="physiological", p=0.01)
    own = hotspot(8, 103.0, 50.0, view="posterior", p=0.95)
    match = match_scan(result([bladder, own]), behind)
    assert [(match.predictions[m.predicted].finding_id, m.distance_mm) for m in match.matches] == [(8, 6.0)]
    assert match.false_positives == ()
    assert [p.finding_id for p in match.physiological_unmatched] == [7]
    # with no other detection the bladder's spot still takes the lesion (detected, at 0.01)
    alone = match_scan(result([bladder]), behind)
    assert [alone.predictions[m.predicted].finding_id for m in alone.matches] == [7]


def test_artefact_match_is_not_a_false_positive() -> None:
    urine = finding(1, kind="urine_contamination", malignant=False)
    match = match_scan(result([hotspot(1, label="artefact", p=0.05)]), truth([urine], label="benign"))
    assert len(match.matches) == 1
    assert match.false_positives == ()
    assert match.detected("artefact") == Proportion(1, 1)
    assert match.detected("benign_hot") == Proportion(0, 0)


def test_finding_in_both_views_counts_once() -> None:
    both = finding(1, views=VIEWS)
    spots = [hotspot(1, view="anterior"), hotspot(1, view="posterior")]
    match = match_scan(result(spots), truth([both]))
    assert len(match.predictions) == 1
    assert len(match.predictions[0].points) == 2
    assert len(match.matches) == 1
    assert match.false_positives == ()
    # a second finding_id on the same spot cannot take the same truth: one-to-one
    twice = match_scan(result([*spots, hotspot(2, 101.0, 50.0, view="posterior")]), truth([both]))
    assert [p.finding_id for p in twice.false_positives] == [2]


def test_view_must_be_shared() -> None:
    only_posterior = finding(1, views=("posterior",))
    match = match_scan(result([hotspot(1, view="anterior")]), truth([only_posterior]))
    assert match.matches == ()


def test_kind_must_agree() -> None:
    hot_truth = truth([finding(1)])
    assert match_scan(result([hotspot(1, kind="cold")]), hot_truth).matches == ()
    cold = finding(1, kind="myeloma", polarity="cold")
    assert match_scan(result([hotspot(1, kind="hot")]), truth([cold])).matches == ()
    assert len(match_scan(result([hotspot(1, kind="cold")]), truth([cold])).matches) == 1
    prosthesis = finding(1, kind="prosthesis", polarity="mixed", malignant=False)
    for kind in ("hot", "cold"):
        assert len(match_scan(result([hotspot(1, kind=kind)]), truth([prosthesis])).matches) == 1


def test_greedy_by_distance() -> None:
    # truths T1, T2 at rows 100 and 106; P1 at row 104 (8 mm from T1, 4 mm from T2), P2 at row 99
    # (2 mm from T1): taking P2-T1 first leaves P1-T2, where matching P1 to T1 would have lost T2
    truths = truth([finding(1, centre=(100.0, 50.0)), finding(2, centre=(106.0, 50.0))])
    match = match_scan(result([hotspot(1, 104.0), hotspot(2, 99.0)]), truths)
    assert {(m.predicted, m.truth) for m in match.matches} == {(1, 0), (0, 1)}
    assert [m.distance_mm for m in match.matches] == [2.0, 4.0]


def test_overlapping_lesions_found_by_one_detection_are_counted_apart() -> None:
    # T1 and T2 overlap (centres 2 px = 4 mm apart, radius 5 mm each); T3 is 40 mm away. A hotspot at
    # row 100.5 lies on T1 and T2: one-to-one it finds T1 only; counting overlaps it also finds T2
    # (3 mm from its centre), and still not T3, which it does not lie on.
    lesions = [
        finding(1, centre=(100.0, 50.0)),
        finding(2, centre=(102.0, 50.0)),
        finding(3, centre=(120.0, 50.0)),
    ]
    match = match_scan(result([hotspot(1, 100.5)]), truth(lesions))
    assert [(m.predicted, m.truth) for m in match.matches] == [(0, 0)]
    assert [(m.predicted, m.truth, m.distance_mm) for m in match.shared] == [(0, 1, 3.0)]
    assert match.prediction_of(1) is None
    assert match.prediction_of(1, shared=True) is match.predictions[0]
    assert match.prediction_of(2, shared=True) is None
    assert match.detected("metastatic_hot") == Proportion(1, 3)
    assert match.false_positives == ()


def test_a_detection_matched_to_a_benign_lesion_shares_nothing() -> None:
    # the same hotspot, now nearest to a fracture at row 100.5: it is matched to the fracture, and
    # the two metastases it lies on stay missed under both counts
    lesions = [
        finding(1, centre=(100.0, 50.0)),
        finding(2, centre=(102.0, 50.0)),
        finding(3, centre=(100.5, 50.0), kind="fracture", malignant=False),
    ]
    match = match_scan(result([hotspot(1, 100.5)]), truth(lesions))
    assert [(m.predicted, m.truth) for m in match.matches] == [(0, 2)]
    assert match.shared == ()


def test_resolved_and_diffuse_truths_are_left_out() -> None:
    resolved = finding(1, status="resolved")
    super_scan = {**finding(2, kind="super_scan"), "views": {"anterior": None, "posterior": None}}
    invisible = {**finding(3), "views": {"anterior": None}}
    match = match_scan(result([hotspot(1)]), truth([resolved, super_scan, invisible]))
    assert match.truths == ()
    assert dict(match.excluded) == {"resolved": 1, "diffuse": 1, "not_visible": 1}
    assert len(match.false_positives) == 1


def test_lesion_classes() -> None:
    lesions = [
        finding(1),  # metastatic hot, large and avid
        finding(2, radius_mm=7.9),  # metastatic hot, small
        finding(3, uptake=1.9),  # metastatic hot, faint
        finding(4, kind="fracture", malignant=False),
        finding(5, kind="lytic_metastasis", polarity="cold"),
        finding(6, kind="injection_site", malignant=False),
    ]
    match = match_scan(result([]), truth(lesions))
    assert [sorted(t.classes) for t in match.truths] == [
        ["metastatic_hot", "metastatic_hot_r8mm_u2"],
        ["metastatic_hot"],
        ["metastatic_hot"],
        ["benign_hot"],
        ["cold"],
        ["artefact"],
    ]


def test_grid_mismatch_is_an_error() -> None:
    wrong = result([hotspot(1)])
    wrong["views"][0]["rows"] = 512
    with pytest.raises(ValueError, match="not the same grid"):
        match_scan(wrong, truth([finding(1)]))


# ---------------------------------------------------------------------------------------------------
# Statistics


def test_auc_with_ties() -> None:
    assert auc_mann_whitney([0.2, 0.8], [0.5]) == 0.5
    assert auc_mann_whitney([0.5, 0.8], [0.5, 0.2]) == 0.875
    assert auc_mann_whitney([0.5], [0.5]) == 0.5
    assert auc_mann_whitney([1.0, 2.0], [0.0]) == 1.0
    assert auc_mann_whitney([], [0.5]) is None


def test_pearson_exact() -> None:
    assert pearson([1.0, 2.0, 3.0], [2.0, 4.0, 7.0]) == pytest.approx(15.0 / math.sqrt(228.0), abs=1e-12)
    assert pearson([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]) == pytest.approx(-1.0)
    assert pearson([1.0, 2.0], [5.0, 5.0]) is None
    assert pearson([1.0], [1.0]) is None
    with pytest.raises(ValueError):
        pearson([1.0, 2.0], [1.0])


def test_sensitivity_specificity_and_empty_groups() -> None:
    sens, spec = sensitivity_specificity([0.9, 0.4, 0.5, 0.1], [True, True, False, False], 0.5)
    assert (sens, spec) == (Proportion(1, 2), Proportion(1, 2))
    sens, spec = sensitivity_specificity([0.1], [False], 0.5)
    assert sens == Proportion(0, 0) and sens.value is None
    assert spec.value == 1.0
    assert mean_and_sd([]) == (None, None)
    assert mean_and_sd([2.0]) == (2.0, None)


def test_threshold_for_sensitivity() -> None:
    scores = [i / 100 for i in range(1, 71)]  # 70 positives: 90% is 63 of them
    threshold = threshold_for_sensitivity(scores, 0.9)
    assert threshold == 0.08
    assert sum(s >= threshold for s in scores) == 63
    assert threshold_for_sensitivity([], 0.9) is None
    # 0.14 * 50 is 7.000000000000001 in floating point: still the 7th highest, not the 8th
    assert threshold_for_sensitivity([float(i) for i in range(1, 51)], 0.14) == 44.0
    with pytest.raises(ValueError):
        threshold_for_sensitivity([0.5], 0.0)


def test_froc_points_are_monotonic() -> None:
    lesions = [0.95, 0.7, None, 0.3, 0.5, None, 0.1]
    false = [0.9, 0.2, 0.6, 0.05, 0.5]
    points = froc_points(lesions, false, scans=4, thresholds=[0.0, 0.25, 0.5, 0.75, 1.0])
    sens = [p.sensitivity for p in points]
    fps = [p.fp_per_scan for p in points]
    assert sens == [5 / 7, 4 / 7, 3 / 7, 1 / 7, 0.0]
    assert fps == [5 / 4, 3 / 4, 3 / 4, 1 / 4, 0.0]
    for a, b in itertools.pairwise(points):
        assert a.sensitivity is not None and b.sensitivity is not None
        assert a.fp_per_scan is not None and b.fp_per_scan is not None
        assert a.sensitivity >= b.sensitivity and a.fp_per_scan >= b.fp_per_scan
    assert froc_points([], [], scans=0, thresholds=[0.5])[0].sensitivity is None


# ---------------------------------------------------------------------------------------------------
# Cohort figures from hand-written scans


def outcome(
    case: str,
    hotspots: list[dict[str, Any]],
    findings: list[dict[str, Any]],
    *,
    label: str,
    p: float,
    bsi: float = 0.0,
    truth_bsi: float = 0.0,
    acquisition: str = "baseline",
    seconds: float = 1.0,
) -> Any:
    return score_scan(
        result(hotspots, p=p, bsi=bsi),
        truth(findings, label=label, bsi=truth_bsi),
        case_id=case,
        acquisition=acquisition,
        seconds=seconds,
    )


def small_cohort() -> FindingsEvaluation:
    met = [
        finding(1, centre=(100.0, 50.0)),
        finding(2, centre=(200.0, 50.0)),
        finding(3, centre=(300.0, 50.0)),
    ]
    benign = [finding(1, kind="fracture", malignant=False)]
    scans = [
        # metastatic: two of three metastases found (p 0.9 and 0.4), one false positive at p 0.6
        outcome(
            "case1",
            [hotspot(1, 100.0, p=0.9), hotspot(2, 200.0, p=0.4), hotspot(3, 500.0, p=0.6)],
            met,
            label="metastatic",
            p=0.8,
            bsi=1.0,
            truth_bsi=1.2,
        ),
        # benign: the fracture found at p 0.7 (a negative detection, not a false positive), bladder
        outcome(
            "case2",
            [hotspot(1, p=0.7, label="fracture"), hotspot(2, 600.0, label="physiological", p=0.0)],
            benign,
            label="benign",
            p=0.3,
            bsi=0.1,
            truth_bsi=0.0,
        ),
        outcome("case3", [], [], label="normal", p=0.6, bsi=0.0, truth_bsi=0.0),
    ]
    return FindingsEvaluation(scans=scans, thresholds=(0.0, 0.5, 0.8, 1.0))


def test_lesion_figures() -> None:
    figures = small_cohort().as_dict()
    lesions = figures["lesions"]
    assert lesions["sensitivity"]["metastatic_hot"] == {"value": 0.6667, "count": 2, "n": 3}
    assert lesions["sensitivity"]["benign_hot"] == {"value": 1.0, "count": 1, "n": 1}
    assert lesions["sensitivity"]["cold"] == {"value": None, "count": 0, "n": 0}
    assert lesions["false_positives_per_scan"] == {"value": 0.3333, "false_positives": 1, "scans": 3}
    assert lesions["physiological_unmatched"] == 1
    # positives [0.9, 0.4]; negatives [0.6 (false positive), 0.7 (fracture)]: 2 of 4 pairs won
    assert lesions["auc"] == {"value": 0.5, "n_positive": 2, "n_negative": 2}
    froc = {p["threshold"]: (p["sensitivity"], p["fp_per_scan"]) for p in lesions["froc"]}
    assert froc == {0.0: (0.6667, 0.6667), 0.5: (0.3333, 0.6667), 0.8: (0.3333, 0.0), 1.0: (0.0, 0.0)}


def test_bar_misses_say_why_each_lesion_is_not_counted() -> None:
    # four metastases of radius 10 mm and image contrast 2.5 (the bar's class), one of contrast 1.5
    # (not in it). The false positive at p 0.3 puts the bar's threshold at 0.5 (1 FP/scan at 0.0,
    # none at 0.5): T1 counts (p 0.9); T2 lies under T1's detection; T3 is found at p 0.2; T4 has
    # nothing near it; T5 is missed but not in the class.
    lesions = [
        finding(1, centre=(100.0, 50.0), contrast=2.5),
        finding(2, centre=(102.0, 50.0), contrast=2.5),
        finding(3, centre=(300.0, 50.0), contrast=2.5),
        finding(4, centre=(500.0, 50.0), contrast=2.5),
        finding(5, centre=(700.0, 50.0)),
    ]
    hotspots = [hotspot(1, 100.5, p=0.9), hotspot(2, 300.0, p=0.2), hotspot(3, 900.0, p=0.3)]
    evaluation = FindingsEvaluation(
        scans=[outcome("case1", hotspots, lesions, label="metastatic", p=0.9)], thresholds=(0.0, 0.5, 1.0)
    )
    misses = evaluation.bar_misses()
    assert misses["threshold"] == 0.5
    assert evaluation.as_dict()["bars"]["metastases_r8mm_c2_sensitivity_at_0.3_fp"]["value"] == 0.25
    assert misses["by_reason"] == {"not_detected": 1, "lies_on_another": 1, "below_threshold": 1}
    assert [(row["truth_id"], row["reason"], row["probability"]) for row in misses["lesions"]] == [
        (2, "lies_on_another", 0.9),
        (3, "below_threshold", 0.2),
        (4, "not_detected", None),
    ]
    assert misses["lesions"][0] | {"reason": ""} == {
        "case_id": "case1",
        "truth_id": 2,
        "kind": "metastasis",
        "region": "lumbar_spine",
        "radius_mm": 10.0,
        "contrast": 2.5,
        "reason": "",
        "probability": 0.9,
    }
    assert "1 not detected, 1 lying on a detection matched to another metastasis, 1 detected below" in (
        evaluation.to_markdown()
    )


def test_patient_and_bsi_figures() -> None:
    figures = small_cohort().as_dict()
    patients = figures["patients"]
    assert patients["auc"] == {"value": 1.0, "n_metastatic": 1, "n_non_metastatic": 2}
    assert patients["sensitivity"] == {"value": 1.0, "count": 1, "n": 1}
    assert patients["specificity"] == {"value": 0.5, "count": 1, "n": 2}  # the normal at 0.6 is called
    assert patients["benign_specificity"] == {"value": 1.0, "count": 1, "n": 1}
    assert patients["at_target_sensitivity"]["threshold"] == 0.8
    bsi = figures["bsi"]
    assert bsi["n"] == 3
    assert bsi["bias"] == pytest.approx((-0.2 + 0.1 + 0.0) / 3, abs=1e-4)
    assert bsi["mean_absolute_error"] == pytest.approx(0.1, abs=1e-4)
    assert bsi["pearson_r"] == pytest.approx(pearson([1.0, 0.1, 0.0], [1.2, 0.0, 0.0]), abs=1e-4)


def test_benign_specificity_at_target_sensitivity() -> None:
    metastatic = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.95, 0.85, 0.75, 0.65]
    benign = [0.1, 0.5, 0.6, 0.2]
    scans = [outcome(f"m{i}", [], [finding(1)], label="metastatic", p=p) for i, p in enumerate(metastatic)]
    scans += [outcome(f"b{i}", [], [], label="benign", p=p) for i, p in enumerate(benign)]
    scans.append(outcome("n0", [], [], label="normal", p=0.99))
    patients = FindingsEvaluation(scans=scans).as_dict()["patients"]
    target = patients["at_target_sensitivity"]
    assert target["threshold"] == 0.55  # the 9th highest of 10
    assert target["sensitivity"] == {"value": 0.9, "count": 9, "n": 10}
    assert target["benign_specificity"] == {"value": 0.75, "count": 3, "n": 4}
    assert patients["benign_specificity"] == {"value": 0.5, "count": 2, "n": 4}
    assert patients["specificity"] == {"value": 0.4, "count": 2, "n": 5}


def test_per_scan_rows_put_truth_beside_result() -> None:
    """One row a scan: the small cohort's first case has BSI 1.0 against truth 1.2 and one false positive."""
    cohort = small_cohort()
    rows = cohort.as_dict()["per_scan"]
    first = rows[0]
    assert first["case_id"] == "case1" and first["acquisition"] == "baseline"
    assert first["patient_label"] == "metastatic" and first["metastatic"] is True
    assert (first["probability"], first["truth_bsi"], first["bsi_percent"]) == (0.8, 1.2, 1.0)
    assert first["bsi_error"] == pytest.approx(-0.2)
    assert first["false_positives"] == 1
    second = rows[1]  # the found fracture and the bladder are not false positives
    assert (second["case_id"], second["false_positives"], second["bsi_error"]) == ("case2", 0, 0.1)
    assert len(rows) == len(cohort.scans)


def test_super_scan_calls_count_hits_and_false_calls_on_baselines() -> None:
    """Two true super scans (one called), one false call; a repeat and a result without the flag
    do not count."""
    diffuse = [{"id": 1, "kind": "super_scan", "malignant": True, "views": {}}]

    def scan(case: str, findings: list[dict[str, Any]], called: bool | None, stem: str = "baseline") -> Any:
        made = result([], p=0.9, bsi=30.0 if called else 0.5)
        if called is not None:
            made["patient"]["super_scan"] = called
        return score_scan(made, truth(findings, bsi=28.0), case_id=case, acquisition=stem)

    scans = [
        scan("a", diffuse, True),
        scan("b", diffuse, False),
        scan("c", [], True),
        scan("d", [], False),
        scan("d", [], True, "repeat1"),
        scan("e", diffuse, None),
    ]
    evaluation = FindingsEvaluation(scans=scans)
    figures = evaluation.as_dict()
    assert figures["super_scan"] == {
        "called": {"value": 0.5, "count": 1, "n": 2},
        "false_calls": 1,
        "scans": 4,
    }
    rows = {(row["case_id"], row["acquisition"]): row for row in figures["per_scan"]}
    assert rows[("c", "baseline")]["super_scan"] is False
    assert rows[("c", "baseline")]["super_scan_called"] is True
    assert rows[("e", "baseline")]["super_scan_called"] is None
    assert "Super-scan calls on other patients | 1 |" in evaluation.to_markdown()


def test_repeatability_sd_exact() -> None:
    scans = []
    for case, (base, repeat) in enumerate([(1.0, 1.1), (2.0, 1.9), (0.0, 0.3)]):
        scans.append(outcome(f"c{case}", [], [], label="metastatic", p=0.5, bsi=base))
        scans.append(
            outcome(
                f"c{case}", [], [], label="metastatic", p=0.5 + base / 10, bsi=repeat, acquisition="repeat1"
            )
        )
    evaluation = FindingsEvaluation(scans=scans)
    repeatability = evaluation.as_dict()["repeatability"]
    assert repeatability["pairs"] == 3
    assert repeatability["bsi_difference_mean"] == pytest.approx(0.1)
    assert repeatability["bsi_difference_sd"] == pytest.approx(0.2)
    assert repeatability["probability_difference_sd"] == pytest.approx(0.1)
    assert evaluation.as_dict()["bars"]["bsi_repeatability_sd"]["met"] is False
    # repeats do not enter the baseline figures
    assert evaluation.as_dict()["bsi"]["n"] == 3
    assert evaluation.as_dict()["time"] == {"n": 6, "median_seconds": 1.0, "max_seconds": 1.0}


def test_empty_evaluation() -> None:
    figures = FindingsEvaluation().as_dict()
    json.dumps(figures, allow_nan=False)
    assert figures["lesions"]["sensitivity"]["metastatic_hot"] == {"value": None, "count": 0, "n": 0}
    assert figures["lesions"]["false_positives_per_scan"]["value"] is None
    assert figures["lesions"]["auc"]["value"] is None
    assert figures["patients"]["auc"]["value"] is None
    assert figures["patients"]["at_target_sensitivity"]["threshold"] is None
    assert figures["bsi"] == {"n": 0, "pearson_r": None, "bias": None, "mean_absolute_error": None}
    assert figures["repeatability"]["bsi_difference_sd"] is None
    assert figures["time"]["median_seconds"] is None
    assert figures["bars"]["bsi_repeatability_sd"]["met"] is None
    assert "n/a" in FindingsEvaluation().to_markdown()


def test_markdown_table() -> None:
    text = small_cohort().to_markdown()
    assert text.startswith("| Figure | Value | n |\n")
    assert "| Sensitivity, metastases (hot) | 0.667 | 2/3 lesions |" in text
    assert "| 0.50 | 0.333 (1/3) | 0.667 (2/3) |" in text
    assert "| Specificity, benign-only, at sensitivity >= 0.90 | >= 0.85 | 1.000 | yes |" in text
    assert "| Repeat - baseline BSI, SD (points) | <= 0.10 | n/a | n/a |" in text
    assert "Not a bar figure: counting also the lesions a detection lies on" in text


# ---------------------------------------------------------------------------------------------------
# Runner on a simulated cohort

_LABELS = {
    "metastasis": "metastasis",
    "lytic_metastasis": "myeloma_or_lytic",
    "myeloma": "myeloma_or_lytic",
    "prosthesis": "prosthesis_related",
    "urine_contamination": "artefact",
    "injection_site": "artefact",
}


def perfect_analyze(path: Path) -> Mapping[str, Any]:
    """A perfect detector: the result is made from the scan's own truth, plus a bladder hotspot."""
    known = json.loads(path.with_name(f"{path.stem}.truth.json").read_text(encoding="utf-8"))
    image = known["image"]
    spacing = image["pixel_spacing_mm"]
    metastatic = known["patient"]["label"] == "metastatic"
    spots = [hotspot(999, image["rows"] * 0.55, image["columns"] / 2, label="physiological", p=0.0)]
    for item in known["findings"]:
        if item["status"] == "resolved":
            continue
        for view, entry in (item.get("views") or {}).items():
            if entry:
                spots.append(
                    hotspot(
                        item["id"],
                        entry["centre"][0],
                        entry["centre"][1],
                        view=view,
                        kind="cold" if item["polarity"] == "cold" else "hot",
                        label=_LABELS.get(item["kind"], item["kind"]),
                        p=1.0 if item["malignant"] else 0.0,
                    )
                )
    made = result(spots, p=1.0 if metastatic else 0.0, bsi=known["bsi"]["value"])
    for grid in made["views"]:
        grid.update(rows=image["rows"], columns=image["columns"], pixel_spacing_mm=[spacing, spacing])
    return made


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cohort(
        tmp_path_factory.mktemp("findings") / "cohort", CohortConfig(cases=3, seed=4242, repeats=1)
    )


def test_evaluate_findings_with_a_perfect_detector(cohort: Path) -> None:
    calls: list[Path] = []

    def analyze(path: Path) -> Mapping[str, Any]:
        calls.append(path)
        return perfect_analyze(path)

    evaluation = evaluate_findings(cohort, analyze)
    assert [p.relative_to(cohort).as_posix() for p in calls] == [
        f"case0000{i}/{stem}.dcm" for i in (1, 2, 3) for stem in ("baseline", "repeat1")
    ]
    figures = evaluation.as_dict()
    json.dumps(figures, allow_nan=False)
    assert figures["scans"] == {"cases": 3, "baseline": 3, "repeat": 3}
    lesions = figures["lesions"]
    assert lesions["sensitivity"]["metastatic_hot"]["n"] > 0
    for entry in lesions["sensitivity"].values():
        assert entry["value"] in (1.0, None)
        assert entry["count"] == entry["n"]
    assert lesions["false_positives_per_scan"]["value"] == 0.0
    assert lesions["physiological_unmatched"] == 3
    assert lesions["auc"]["value"] == 1.0
    assert figures["patients"]["auc"]["value"] == 1.0
    assert figures["bsi"]["pearson_r"] == 1.0
    assert figures["bsi"]["mean_absolute_error"] == 0.0
    assert figures["repeatability"]["pairs"] == 3
    assert figures["repeatability"]["bsi_difference_sd"] == 0.0
    assert figures["time"]["n"] == 6
    assert evaluate_findings(cohort, perfect_analyze, limit=1).as_dict()["scans"]["cases"] == 1


def test_evaluate_findings_needs_cases(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no case"):
        evaluate_findings(tmp_path, perfect_analyze)
