"""The assessment layer: BSI arithmetic, the result document's coordinates, the impression, analyze."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import ndimage

from bonescan import load_study
from bonescan.anatomy.landmarks import Landmarks
from bonescan.anatomy.model import Anatomy, ViewAnatomy
from bonescan.assessment import PrimaryCancer, analyze, result_document
from bonescan.assessment.impression import impression, probability_words
from bonescan.assessment.model import Pretest
from bonescan.assessment.patient import PATIENT_FEATURES, PatientModel, load_patient_model, patient_features
from bonescan.classify.judge import JudgedFinding
from bonescan.cli import cli
from bonescan.detect.measure import SpotMeasures
from bonescan.detect.model import Finding, Spot, SpotKind, UptakeReference
from bonescan.detect.plausible import facial_or
from bonescan.detect.spots import _half_maximum_core
from bonescan.quantify import bone_scan_index
from bonescan.regions import mass_fraction, region
from bonescan.study import ViewName
from tests.phantoms import fixed_finding_model, hot_spot


def _judged(spots: dict[ViewName, Spot], probability: float, label: str = "metastasis") -> JudgedFinding:
    return JudgedFinding(Finding(1, spots), label, probability, {}, ("test",), number=1)


def _anatomy() -> Anatomy:
    labels = np.zeros((40, 20), dtype=np.uint8)
    labels[10:20, 5:15] = region("lumbar_spine").label  # 100 pixels
    return Anatomy((ViewAnatomy(ViewName.POSTERIOR, labels, labels > 0, Landmarks({}, {})),), "test")


def test_bsi_is_mass_fraction_times_involved_share() -> None:
    """25 of the 100 lumbar pixels in a certain metastasis: BSI = 100 * mass_fraction * 0.25."""
    rows, columns = np.mgrid[10:15, 5:10]
    spot = hot_spot(ViewName.POSTERIOR, rows.ravel(), columns.ravel())
    bsi = bone_scan_index([_judged({ViewName.POSTERIOR: spot}, 1.0)], _anatomy())
    assert bsi.involvement == {"lumbar_spine": 0.25}
    assert bsi.percent == pytest.approx(100 * mass_fraction("lumbar_spine") * 0.25)


def test_bsi_counts_the_core_of_a_spot_only() -> None:
    """Of a 25-pixel spot, the 10 core pixels count: BSI = 100 * mass_fraction * 10/100."""
    rows, columns = np.mgrid[10:15, 5:10]
    core = np.zeros(25, dtype=bool)
    core[:10] = True
    spot = replace(hot_spot(ViewName.POSTERIOR, rows.ravel(), columns.ravel()), core=core)
    bsi = bone_scan_index([_judged({ViewName.POSTERIOR: spot}, 1.0)], _anatomy())
    assert bsi.involvement == {"lumbar_spine": 0.1}


def test_half_maximum_core_keeps_pixels_with_half_the_peak_excess() -> None:
    """Contrasts 1.1, 1.5, 2.0, 1.4: excesses 0.1, 0.5, 1.0, 0.4 against half the peak's, 0.5."""
    core = _half_maximum_core(np.array([1.1, 1.5, 2.0, 1.4], dtype=np.float32))
    assert core.tolist() == [False, True, True, False]
    no_excess = _half_maximum_core(np.array([0.9, 0.95], dtype=np.float32))  # under the background
    assert no_excess.tolist() == [True, True]


def test_bsi_weights_by_probability_and_ignores_artefacts() -> None:
    """A spot at probability 0.4 counts for 40% of its area; an artefact counts for nothing."""
    rows, columns = np.mgrid[10:15, 5:10]
    spot = hot_spot(ViewName.POSTERIOR, rows.ravel(), columns.ravel())
    half = bone_scan_index([_judged({ViewName.POSTERIOR: spot}, 0.4)], _anatomy(), calibration=2.0)
    assert half.raw_percent == pytest.approx(100 * mass_fraction("lumbar_spine") * 0.25 * 0.4)
    assert half.percent == pytest.approx(2.0 * half.raw_percent)
    artefact = bone_scan_index([_judged({ViewName.POSTERIOR: spot}, 0.9, "artefact")], _anatomy())
    assert artefact.percent == 0.0


def test_impression_names_a_solitary_spot_and_its_caveat() -> None:
    spot = hot_spot(ViewName.POSTERIOR, np.array([12]), np.array([8]))
    text = impression([_judged({ViewName.POSTERIOR: spot}, 0.8)], 0.55, 0.4, False, PrimaryCancer.PROSTATE)
    assert "solitary" in text and "lumbar spine" in text and "0.55 (intermediate)" in text
    clear = impression([], 0.03, 0.0, False, PrimaryCancer.UNKNOWN)
    assert clear.startswith("No scintigraphic evidence of skeletal metastases.")
    assert [probability_words(p) for p in (0.1, 0.5, 0.9)] == ["low", "intermediate", "high"]


def test_impression_of_a_super_scan_names_its_mimics() -> None:
    """A super-scan call says what can look alike: poor renal function and metabolic bone disease."""
    text = impression([], 0.97, 30.0, True, PrimaryCancer.PROSTATE)
    assert text.startswith("Diffusely increased uptake in the axial skeleton")
    assert "Poor renal function and metabolic bone disease" in text and "renal function" in text
    assert "No scintigraphic evidence" not in text
    plain = impression([], 0.03, 0.0, False, PrimaryCancer.PROSTATE)
    assert "super scan" not in plain and "renal osteodystrophy" not in plain


def test_impression_warns_that_lytic_metastases_of_renal_and_thyroid_cancer_can_be_missed() -> None:
    for cancer in (PrimaryCancer.KIDNEY, PrimaryCancer.THYROID):
        text = impression([], 0.05, 0.0, False, cancer)
        assert f"Bone metastases of {cancer.value} cancer are often lytic" in text
    assert "often lytic" not in impression([], 0.05, 0.0, False, PrimaryCancer.PROSTATE)


def test_impression_names_a_photopenic_defect_below_the_likely_threshold() -> None:
    """A cold spot judged myeloma or lytic at 0.3 is not a likely metastasis but is named for checking."""
    spot = replace(
        hot_spot(ViewName.POSTERIOR, np.array([12]), np.array([8]), "pelvis_left"), kind=SpotKind.COLD
    )
    cold = _judged({ViewName.POSTERIOR: spot}, 0.3, "myeloma_or_lytic")
    text = impression([cold], 0.2, 0.1, False, PrimaryCancer.UNKNOWN)
    assert text.startswith(
        "No focus of increased uptake suspicious for skeletal metastases. A photopenic defect in the left"
    )
    assert "a lytic lesion or myeloma should be excluded" in text
    two = impression([cold, replace(cold, number=2)], 0.2, 0.1, False, PrimaryCancer.UNKNOWN)
    assert "2 photopenic defects in the left" in two


def test_patient_features_leave_out_cold_spots() -> None:
    """The patient model was fitted without cold spots: adding one changes no feature."""
    hot = _judged({ViewName.POSTERIOR: hot_spot(ViewName.POSTERIOR, np.array([12]), np.array([8]))}, 0.8)
    spot = replace(
        hot_spot(ViewName.POSTERIOR, np.array([30]), np.array([8]), "pelvis_left"), kind=SpotKind.COLD
    )
    cold = replace(_judged({ViewName.POSTERIOR: spot}, 0.3, "myeloma_or_lytic"), number=2)
    alone = patient_features([hot], 0.2, [])
    assert patient_features([hot, cold], 0.2, []).tolist() == alone.tolist()
    assert (
        patient_features(
            [hot, replace(cold, finding=Finding(2, {ViewName.POSTERIOR: replace(spot, kind=SpotKind.HOT)}))],
            0.2,
            [],
        ).tolist()
        != alone.tolist()
    )


def test_result_document_follows_the_contract(metastatic_case: Path) -> None:
    study = load_study(metastatic_case / "baseline.dcm")
    document = result_document(analyze(study, primary="prostate"))
    assert document["schema_version"] == "1"
    assert [v["view"] for v in document["views"]] == ["anterior", "posterior"]
    assert set(document["patient"]) >= {
        "metastasis_probability",
        "bsi_percent",
        "hotspot_count",
        "impression",
    }
    for spot in document["hotspots"]:
        assert {
            "view",
            "row",
            "column",
            "kind",
            "area_mm2",
            "region",
            "metastasis_probability",
            "label",
        } <= set(spot)
        assert 0 <= spot["row"] < 1024 and 0 <= spot["column"] < 256
    truth = json.loads((metastatic_case / "baseline.truth.json").read_text())
    assert document["patient"]["hotspot_count"] >= 1
    # Every likely hotspot lies near a true finding, in the stored grid of its view.
    centres = [e["views"][v]["centre"] for e in truth["findings"] for v in e["views"]]
    likely = [s for s in document["hotspots"] if s["metastasis_probability"] >= 0.5]
    near = [min(np.hypot(s["row"] - c[0], s["column"] - c[1]) for c in centres) for s in likely]
    assert np.mean(np.array(near) < 10) >= 0.8


def test_analyze_command_writes_result_json(metastatic_case: Path, tmp_path: Path) -> None:
    out = tmp_path / "analysis"
    result = CliRunner().invoke(
        cli, ["analyze", str(metastatic_case / "baseline.dcm"), "--out", str(out), "--primary", "prostate"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads((out / "result.json").read_text())
    assert document["patient"]["primary_cancer"] == "prostate"


def test_analyze_command_refuses_bad_input_without_output(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-scan.dcm"
    bad.write_bytes(b"this is not DICOM")
    out = tmp_path / "analysis"
    result = CliRunner().invoke(cli, ["analyze", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert str(bad) in result.output and len(result.output.strip().splitlines()) == 1
    assert not out.exists()


@pytest.fixture(scope="module")
def nm1_result(shared_data: Path) -> dict:
    """The result document of the real NEMA NM1 scan (anterior view only)."""
    return result_document(analyze(load_study(shared_data / "nm1" / "NM1_UNC.dcm")))


def test_real_scan_knees_degenerative_bladder_physiological(nm1_result: dict) -> None:
    """NM1: the knee spots (rows 560-680) are degenerative and the bladder is physiological."""
    spots = [(s["label"], s["row"], s["region"]) for s in nm1_result["hotspots"]]
    knees = [label for label, row, _ in spots if 560 <= row <= 680]
    assert knees and set(knees) == {"degenerative"}
    assert any(label == "physiological" and name == "bladder" for label, _, name in spots)


def test_real_scan_patient_probability_is_low(nm1_result: dict) -> None:
    """NM1: no likely metastasis, a low patient probability, and the knees named as knees."""
    patient = nm1_result["patient"]
    assert patient["metastasis_probability"] < 0.2
    assert patient["hotspot_count"] == 0
    assert "right knee and left knee" in patient["impression"]
    assert "prosthesis" not in patient["impression"]  # nothing says NM1 has one; its hips are alike


def test_real_scan_has_no_cold_spot(nm1_result: dict) -> None:
    """NM1 shows no photopenic defect; the pale middle of its skull vault, seen face on, is not one."""
    assert [s["region"] for s in nm1_result["hotspots"] if s["kind"] == "cold"] == []


def test_real_scan_of_the_anterior_view_alone_says_a_super_scan_is_judged_weakly(nm1_result: dict) -> None:
    notes = [check for check in nm1_result["quality"] if check["code"] == "super_scan_anterior_only"]
    assert len(notes) == 1 and notes[0]["severity"] == "info"
    assert "a super scan may be missed" in notes[0]["message"]


def test_a_skull_spot_lying_mostly_on_the_face_is_facial() -> None:
    """Three of four pixels on the facial bones: facial; two of four (not more than half): skull."""
    face, skull = region("facial_mandible").label, region("skull").label
    assert facial_or("skull", np.array([face, face, face, skull], dtype=np.uint8)) == "facial_mandible"
    assert facial_or("skull", np.array([face, face, skull, skull], dtype=np.uint8)) == "skull"
    assert facial_or("cervical_spine", np.array([face] * 4, dtype=np.uint8)) == "cervical_spine"


def test_real_scan_redrawn_with_blur_keeps_its_face_benign(shared_data: Path) -> None:
    """NM1 blurred by one pixel and drawn again as Poisson counts: the bright top of the facial bones,
    whose peak pixel is labelled skull, was called a skull metastasis (0.88) before the facial rule."""
    study = load_study(shared_data / "nm1" / "NM1_UNC.dcm")
    counts = np.random.default_rng(3).poisson(ndimage.gaussian_filter(study.views[0].counts, 1.0))
    redrawn = dataclasses.replace(study, views=(dataclasses.replace(study.views[0], counts=counts),))
    assessment = analyze(redrawn)
    likely = [item.finding.region for item in assessment.judged if item.metastasis_probability >= 0.5]
    assert not {"skull", "facial_mandible"} & set(likely)
    assert assessment.metastasis_probability < 0.2


def test_head_down_input_reports_positions_in_its_stored_grid(metastatic_case: Path, tmp_path: Path) -> None:
    """The same scan stored head-down: each hotspot's stored position is the upright one turned by 180°."""
    import pydicom

    dataset = pydicom.dcmread(metastatic_case / "baseline.dcm")
    dataset.PixelData = np.ascontiguousarray(dataset.pixel_array[:, ::-1, ::-1]).tobytes()
    dataset.save_as(tmp_path / "down.dcm")
    upright = result_document(analyze(load_study(metastatic_case / "baseline.dcm")))
    down = result_document(analyze(load_study(tmp_path / "down.dcm")))
    likely = [s for s in upright["hotspots"] if s["metastasis_probability"] >= 0.5]
    assert likely
    for spot in likely:
        turned = (1023 - spot["row"], 255 - spot["column"])
        nearest = min(
            np.hypot(turned[0] - other["row"], turned[1] - other["column"])
            for other in down["hotspots"]
            if other["view"] == spot["view"]
        )
        assert nearest < 1.0


def test_a_single_view_is_analysed(metastatic_case: Path) -> None:
    """A study with the posterior view only still gets a reading, with hotspots in that view only."""
    import dataclasses

    study = load_study(metastatic_case / "baseline.dcm")
    posterior_only = dataclasses.replace(study, views=(study.view(ViewName.POSTERIOR),))
    document = result_document(analyze(posterior_only))
    assert [v["view"] for v in document["views"]] == ["posterior"]
    assert {s["view"] for s in document["hotspots"]} <= {"posterior"}
    assert 0.0 <= document["patient"]["metastasis_probability"] <= 1.0
    assert "super_scan_anterior_only" not in {check["code"] for check in document["quality"]}


def test_evaluate_findings_command_scores_a_small_cohort(tmp_path: Path) -> None:
    """bonescan evaluate findings runs analyze on every scan and prints the figures with their counts."""
    from bonescan.simulate.cohort import CohortConfig, write_cohort

    cohort = write_cohort(tmp_path / "cohort", CohortConfig(cases=3, seed=4242, repeats=1))
    out = tmp_path / "figures.json"
    result = CliRunner().invoke(cli, ["evaluate", "findings", str(cohort), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "False positives per scan" in result.output
    figures = json.loads(out.read_text())
    assert figures["scans"] == {"cases": 3, "baseline": 3, "repeat": 3}
    assert figures["repeatability"]["pairs"] == 3
    assert figures["time"]["n"] == 6


def test_a_research_png_pair_is_analysed_with_a_warning(metastatic_case: Path, tmp_path: Path) -> None:
    """8-bit exports (dark bone on white) are read and analysed; the result says they are not counts."""
    from PIL import Image

    study = load_study(metastatic_case / "baseline.dcm")
    paths = {}
    for view in study.views:
        grey = np.clip(view.counts / np.percentile(view.counts, 99.9) * 255, 0, 255).astype(np.uint8)
        paths[view.name.value] = tmp_path / f"{view.name.value}.png"
        Image.fromarray(255 - grey).save(paths[view.name.value])
    pair = load_study((), anterior=paths["anterior"], posterior=paths["posterior"], pixel_spacing_mm=2.26)
    document = result_document(analyze(pair))
    assert [v["view"] for v in document["views"]] == ["anterior", "posterior"]
    assert any("display" in q["message"].lower() or "8-bit" in q["message"] for q in document["quality"])
    assert 0.0 <= document["patient"]["metastasis_probability"] <= 1.0


_METASTASIS = {"normal": 0.1, "metastasis": 0.6, "degenerative": 0.3}
_PROSTHESIS = {"normal": 0.1, "metastasis": 0.2, "prosthesis_related": 0.7}


@pytest.mark.parametrize(
    ("scores", "reference_ratio", "joint", "label", "probability"),
    [
        (_METASTASIS, 1.1, "left knee", "degenerative", 0.6 * 0.25 / (0.4 + 0.6 * 0.25)),  # symmetric joint
        (_METASTASIS, 2.5, "left knee", "metastasis", 0.6),  # the other side is normal: no symmetry
        (_METASTASIS, 1.1, None, "metastasis", 0.6),  # symmetric but not at a joint
        (_PROSTHESIS, 1.1, "right hip", "degenerative", 0.2 * 0.25 / (0.8 + 0.2 * 0.25)),  # like NM1's hips
        (_PROSTHESIS, 2.5, "right hip", "prosthesis_related", 0.2),  # one side only
    ],
)
def test_symmetric_joint_uptake_lowers_the_odds_of_a_metastasis(
    scores: dict[str, float], reference_ratio: float, joint: str | None, label: str, probability: float
) -> None:
    from bonescan.classify.judge import SYMMETRIC_JOINT_LIKELIHOOD_RATIO, judge_findings

    assert SYMMETRIC_JOINT_LIKELIHOOD_RATIO == 0.25
    distance = 5.0 if joint else 100.0
    spot = hot_spot(ViewName.ANTERIOR, np.arange(10), np.arange(10), "femur_distal_left")
    spot = Spot(**{**spot.__dict__, "measures": SpotMeasures(reference_ratio, distance, 1.0, 0.05, joint)})
    model = fixed_finding_model(scores)
    (judged,) = judge_findings([Finding(1, {ViewName.ANTERIOR: spot})], model)
    assert judged.label == label
    assert judged.metastasis_probability == pytest.approx(probability)


def test_probably_normal_candidates_are_dropped_even_when_a_metastasis_is_possible() -> None:
    """Normal uptake at 0.6 or more drops a candidate; keeping those with a metastasis probability of
    0.2-0.4 was tried on held-out seed 7116 and lowered the lesion and patient figures."""
    from bonescan.classify.judge import NORMAL_CUTOFF, judge_findings

    spot = hot_spot(ViewName.ANTERIOR, np.arange(10), np.arange(10), "femur_distal_left")
    spot = Spot(**{**spot.__dict__, "measures": SpotMeasures(1.1, 100.0, 1.0, 0.05, None)})
    finding = Finding(1, {ViewName.ANTERIOR: spot})
    probably_normal = {"normal": NORMAL_CUTOFF + 0.02, "metastasis": 0.98 - NORMAL_CUTOFF}  # 0.62, 0.38
    assert judge_findings([finding], fixed_finding_model(probably_normal)) == []
    maybe_normal = {"normal": NORMAL_CUTOFF - 0.05, "metastasis": 1.05 - NORMAL_CUTOFF}
    (kept,) = judge_findings([finding], fixed_finding_model(maybe_normal))
    assert kept.label == "metastasis"
    assert kept.metastasis_probability == pytest.approx(0.45)


def _patient_model(threshold: float = 1.0, kidney_weight: float = 1.0) -> PatientModel:
    return PatientModel(
        mean=np.zeros(2),
        scale=np.ones(2),
        weights=np.array([1.0, 0.0]),
        bias=0.0,
        bsi_calibration=1.0,
        super_scan_threshold=threshold,
        super_scan_kidney_weight=kidney_weight,
        typical_kidney_to_bone=1.0,
        super_scan_involvement=0.5,
        super_scan_probability=0.8,
        description={},
    )


def test_super_scan_rule_sets_a_floor_on_the_patient_probability() -> None:
    """A super scan hides its lesions: with the rule fired the probability is at least the floor."""
    model = _patient_model()
    few_findings = np.array([-math.log(3.0), 0.0])  # logistic: 1 / (1 + 3) = 0.25
    assert model.probability(few_findings) == pytest.approx(0.25)
    assert model.probability(few_findings, super_scan=True) == pytest.approx(0.8)
    many_findings = np.array([math.log(19.0), 0.0])  # 0.95: above the floor, kept
    assert model.probability(many_findings, super_scan=True) == pytest.approx(0.95)


def test_the_score_weighs_how_much_the_second_reader_lowered_three_features() -> None:
    """Drops are the first reading minus the reported one over the feature's scale, for the summed and
    highest probability and the likely count; a study the second reader leaves alone reads as before."""
    model = replace(
        _patient_model(),
        mean=np.zeros(len(PATIENT_FEATURES)),
        scale=np.full(len(PATIENT_FEATURES), 2.0),
        weights=np.eye(len(PATIENT_FEATURES))[0],
        second_reader_weights=np.array([-1.0, -0.5, -2.0]),
    )
    first = np.array([2.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    reported = np.array([1.0, 0.5, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])  # the axial count is not weighed
    assert model.second_reader_drops(first, reported).tolist() == [0.5, 0.25, 0.0]
    assert float(model.score(first)) == pytest.approx(1.0)
    assert float(model.score(first, first)) == pytest.approx(1.0)
    assert float(model.score(first, reported)) == pytest.approx(1.0 - 0.5 - 0.125)
    assert model.probability(first, reported=reported) == pytest.approx(1.0 / (1.0 + math.exp(-0.375)))


def _reference(view: ViewName, axial: float, kidneys: float | None) -> UptakeReference:
    levels = {"lumbar_spine": axial, "pelvis_left": axial, "femur_distal_left": 1.0, "tibia_fibula_left": 1.0}
    return UptakeReference(view, normal_bone=2.0, soft_tissue=0.0, region_levels=levels, kidneys=kidneys)


def test_super_scan_score_takes_faint_kidneys_as_a_second_sign() -> None:
    """score = log(axial / long bones) - w * log(kidneys / bone): e.g. log 2 - 1 * log(1/4) = log 8."""
    model = _patient_model(threshold=math.log(6.0))
    faint = [_reference(ViewName.POSTERIOR, 2.0, kidneys=0.5)]  # kidneys 0.5 over bone 2.0: 1/4
    assert model.super_scan_score(faint) == pytest.approx(math.log(8.0))
    assert model.is_super_scan(faint)
    normal = [_reference(ViewName.POSTERIOR, 2.0, kidneys=2.0)]  # kidneys as bright as bone: log 2
    assert model.super_scan_score(normal) == pytest.approx(math.log(2.0))
    assert not model.is_super_scan(normal)


def test_neither_super_scan_sign_makes_up_for_the_other() -> None:
    """A score over the threshold is not enough: the kidneys must be as faint, and the spine and pelvis
    as high over the long bones, as in the weakest training super scan (bounds 0.3 and 1.8 here)."""
    model = dataclasses.replace(
        _patient_model(threshold=math.log(6.0)), super_scan_min_axial=1.8, super_scan_max_kidney=0.3
    )
    both = [_reference(ViewName.POSTERIOR, 2.0, kidneys=0.5)]  # axial 2, kidneys 1/4: score log 8
    assert model.is_super_scan(both)
    bright_kidneys = [_reference(ViewName.POSTERIOR, 4.0, kidneys=0.8)]  # log 4 - log 0.4 = log 10
    assert model.super_scan_score(bright_kidneys) > model.super_scan_threshold
    assert not model.is_super_scan(bright_kidneys)  # kidneys at 0.4 of bone: poor renal function alone
    flat_axial = [_reference(ViewName.POSTERIOR, 1.5, kidneys=0.1)]  # log 1.5 - log 0.05 = log 30
    assert model.super_scan_score(flat_axial) > model.super_scan_threshold
    assert not model.is_super_scan(flat_axial)  # kidneys unseen, but no axial pattern


def test_unseen_kidneys_count_as_the_floor() -> None:
    """Kidneys no brighter than the soft tissue beside them read 0 or below; the score takes 0.05."""
    model = _patient_model(kidney_weight=1.0)
    unseen = [
        UptakeReference(
            ViewName.POSTERIOR,
            normal_bone=2.0,
            soft_tissue=0.5,
            region_levels={"lumbar_spine": 2.0, "femur_distal_left": 1.0},
            kidneys=0.6,
            beside_kidneys=0.7,
        )
    ]
    assert unseen[0].kidney_to_bone == pytest.approx(-0.1 / 1.5)
    assert model.super_scan_score(unseen) == pytest.approx(math.log(2.0) - math.log(0.05))


def test_many_discrete_lesions_ask_the_super_scan_score_for_a_margin() -> None:
    """Faint kidneys and bright axial bone: with more likely findings than any training super scan
    showed, the score must clear the threshold by the margin (extensive multifocal metastases reach
    the threshold too); with few, the threshold alone."""
    threshold = math.log(6.0)
    model = dataclasses.replace(
        _patient_model(threshold=threshold), super_scan_max_likely=6, super_scan_many_margin=0.5
    )
    faint = [_reference(ViewName.POSTERIOR, 2.0, kidneys=0.5)]  # score log 8, 0.29 over the threshold
    assert model.is_super_scan(faint, likely=6)
    assert not model.is_super_scan(faint, likely=7)
    very_faint = [_reference(ViewName.POSTERIOR, 2.0, kidneys=0.25)]  # log 16: clears it by 0.98
    assert model.is_super_scan(very_faint, likely=30)
    shipped = load_patient_model()  # the training gap between super scans and the others
    assert 0.05 < shipped.super_scan_many_margin < 0.5 and shipped.super_scan_max_likely >= 7
    # and each sign's bound asks for bright axial bone and kidneys fainter than bone
    assert shipped.super_scan_min_axial > 1.5 and shipped.super_scan_max_kidney < 1.0


def test_shipped_super_scan_rule_spares_poor_renal_function_over_a_bright_posterior_spine() -> None:
    """Two patients the rule fitted on older simulated cohorts called super scans (held-out seeds 7125
    and 7126): poor renal function dims the kidneys (0.54 and 0.53 of normal bone) and a bright
    posterior spine lifts the axial ratio to about 2.1. One had 13 likely metastases (true BSI 1.6),
    the other a prosthesis and fractures (true BSI 0); a call set their BSI at 29. A super scan of
    the shipped rule's training (axial 3.0, kidneys 0.41, 2 likely findings) is still called."""
    shipped = load_patient_model()
    assert not shipped.calls_super_scan(2.110, 0.539, likely=13)
    assert not shipped.calls_super_scan(2.085, 0.527, likely=4)
    assert shipped.calls_super_scan(3.00, 0.41, likely=2)


def test_super_scan_score_reads_the_kidneys_in_the_posterior_view_and_falls_back_when_unseen() -> None:
    """The posterior view's kidneys count; with none labelled the typical ratio (here 1) stands in."""
    model = _patient_model()
    views = [
        _reference(ViewName.ANTERIOR, 2.0, kidneys=2.0),
        _reference(ViewName.POSTERIOR, 2.0, kidneys=0.5),
    ]
    assert model.super_scan_score(views) == pytest.approx(math.log(8.0))
    unseen = [_reference(ViewName.POSTERIOR, 2.0, kidneys=None)]
    assert model.super_scan_score(unseen) == pytest.approx(math.log(2.0))


def test_a_posterior_view_alone_is_read_on_the_two_view_scale() -> None:
    """The rule was fitted on the mean of both views' axial signs, and the posterior view shows the
    spine brighter over the legs than that: alone, its sign is scaled (here by 0.5). The anterior
    view alone and two views are read as they are."""
    model = dataclasses.replace(_patient_model(threshold=math.log(6.0)), posterior_axial_scale=0.5)
    posterior = [_reference(ViewName.POSTERIOR, 4.0, kidneys=0.5)]
    assert model.super_scan_signs(posterior) == pytest.approx((2.0, 0.25))
    assert model.super_scan_score(posterior) == pytest.approx(math.log(8.0))  # log 2 - log 1/4
    anterior = [_reference(ViewName.ANTERIOR, 4.0, kidneys=0.5)]
    assert model.super_scan_signs(anterior)[0] == pytest.approx(4.0)
    both = [_reference(ViewName.ANTERIOR, 2.0, kidneys=2.0), _reference(ViewName.POSTERIOR, 4.0, kidneys=0.5)]
    assert model.super_scan_signs(both)[0] == pytest.approx(3.0)


def test_a_study_of_the_anterior_view_alone_gets_a_super_scan_note_sharper_with_faint_kidneys() -> None:
    from bonescan.assessment.patient import super_scan_notes

    faint = super_scan_notes([_reference(ViewName.ANTERIOR, 2.0, kidneys=0.4)])  # 0.2 of bone
    assert [note.code for note in faint] == ["super_scan_anterior_only"]
    assert "faint kidneys (0.20 of normal bone): a super scan cannot be excluded" in faint[0].message
    normal = super_scan_notes([_reference(ViewName.ANTERIOR, 2.0, kidneys=2.0)])
    assert "a super scan may be missed" in normal[0].message
    assert super_scan_notes([_reference(ViewName.POSTERIOR, 2.0, kidneys=0.4)]) == ()
    both = [_reference(ViewName.ANTERIOR, 2.0, kidneys=0.4), _reference(ViewName.POSTERIOR, 2.0, kidneys=0.4)]
    assert super_scan_notes(both) == ()


def test_shipped_rule_reads_a_posterior_view_alone_on_the_two_view_scale() -> None:
    """Read from the posterior view alone, patients without a super scan (simulator version 8: dev
    5104 case00137, training 3606 case00045) reached the rule on its two-view scale; on the posterior
    scale they do not, while the weakest training super scan so read (3605 case00274) is still called."""
    shipped = load_patient_model()
    assert 0.6 < shipped.posterior_axial_scale < 0.9
    for axial, kidneys, likely in ((2.669, 0.637, 0), (2.531, 0.511, 4)):
        assert shipped.calls_super_scan(axial, kidneys, likely)  # what the scale prevents
        assert not shipped.calls_super_scan(axial * shipped.posterior_axial_scale, kidneys, likely)
    assert shipped.calls_super_scan(3.113 * shipped.posterior_axial_scale, 0.407, likely=3)


def test_the_classifier_is_told_whether_the_study_has_one_view_or_two() -> None:
    """Seen in one view only means another thing when the study has only one."""
    from bonescan.classify.features import FEATURE_NAMES, feature_matrix

    spot = hot_spot(ViewName.ANTERIOR, np.arange(10), np.arange(10), "femur_distal_left")
    findings = [Finding(1, {ViewName.ANTERIOR: spot})]
    column = FEATURE_NAMES.index("one_view_study")
    one, two = feature_matrix(findings, view_count=1), feature_matrix(findings, view_count=2)
    assert one[0, column] == 1.0 and two[0, column] == 0.0
    assert np.array_equal(np.delete(one, column, axis=1), np.delete(two, column, axis=1))


def test_a_finding_model_trained_on_fewer_features_reads_its_own_columns(tmp_path: Path) -> None:
    """A model's description names its features; it is given those columns, in its own order."""
    import json

    from bonescan.classify.features import FEATURE_NAMES
    from bonescan.classify.model import FindingModel, _feature_columns, load_finding_model
    from bonescan.errors import InputError

    older = [name for name in FEATURE_NAMES if name != "one_view_study"]
    columns = _feature_columns(older, "findings.json")
    assert columns is not None and FEATURE_NAMES.index("one_view_study") not in columns
    assert [FEATURE_NAMES[i] for i in columns] == older
    assert _feature_columns(list(FEATURE_NAMES), "findings.json") is None
    seen: list[int] = []

    def scorer(patches: np.ndarray, features: np.ndarray) -> np.ndarray:
        seen.append(features.shape[1])
        return np.stack([features[:, 0], -features[:, 0]], axis=1)

    model = FindingModel(
        ("normal", "metastasis"),
        np.zeros(len(older)),
        np.ones(len(older)),
        scorer,
        32,
        {},
        feature_columns=columns,
    )
    features = np.random.default_rng(0).normal(size=(3, len(FEATURE_NAMES)))
    changed = features.copy()
    changed[:, FEATURE_NAMES.index("one_view_study")] += 5.0
    patches = np.zeros((3, 3, 32, 32), np.float32)
    assert np.array_equal(model.probabilities(features, patches), model.probabilities(changed, patches))
    assert seen == [len(older), len(older)]
    document = {"features": [*older[:3], "no_such_feature"], "onnx": "findings.onnx"}
    (tmp_path / "findings.json").write_text(json.dumps(document))
    with pytest.raises(InputError, match="no_such_feature"):
        load_finding_model(tmp_path / "findings.json")


def test_impression_says_why_the_patient_probability_is_likely_when_no_focus_is() -> None:
    """A lumbar spot judged degenerative at 0.3 in a patient read at 0.8: the impression names it as
    weighed together, not "no evidence"; at 0.4 it does not, nor when a pre-test probability of 0.9
    alone (the scan lowering it) makes the patient likely."""
    spot = hot_spot(ViewName.POSTERIOR, np.array([12]), np.array([8]))
    spine = _judged({ViewName.POSTERIOR: spot}, 0.3, "degenerative")
    text = impression([spine], 0.8, 0.1, False, PrimaryCancer.UNKNOWN)
    assert text.startswith(
        "No single focus is more likely than not a metastasis, but the findings together (in the lumbar "
        "spine) make skeletal metastases likely at the patient level"
    )
    assert "No scintigraphic evidence" not in text
    low = impression([spine], 0.4, 0.1, False, PrimaryCancer.UNKNOWN)
    assert low.startswith("No scintigraphic evidence of skeletal metastases.")
    prior = Pretest(0.9, "the user")
    lowered = impression([spine], 0.6, 0.1, False, PrimaryCancer.OTHER, prior)
    assert lowered.startswith("No scintigraphic evidence of skeletal metastases.")
