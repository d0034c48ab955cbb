"""The primary cancer in the patient probability: a pre-test probability combined by Bayes' rule."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bonescan import load_study
from bonescan.assessment import PrimaryCancer, analyze, result_document
from bonescan.assessment.model import Assessment, Pretest
from bonescan.assessment.patient import load_patient_model
from bonescan.assessment.pretest import (
    PRETEST_BY_PRIMARY,
    choose_pretest,
    post_test_probability,
    scan_likelihood_ratio,
)
from bonescan.cli import cli
from bonescan.errors import InputError


def test_a_scan_likelihood_ratio_is_the_models_odds_over_its_priors() -> None:
    # 0.6 is odds 1.5; a training mix of 30% metastatic is odds 3/7: the scan multiplies them by 3.5.
    assert scan_likelihood_ratio(0.6, 0.3) == pytest.approx(3.5)
    # At the training prior the scan says nothing.
    assert scan_likelihood_ratio(0.3, 0.3) == pytest.approx(1.0)


def test_the_post_test_probability_follows_bayes_rule() -> None:
    # Pre-test 0.1 (odds 1/9) times 3.5 is odds 7/18: probability 7/25.
    assert post_test_probability(3.5, 0.1) == pytest.approx(0.28)
    # Back at the training prior, the model's probability comes back.
    assert post_test_probability(scan_likelihood_ratio(0.83, 0.3), 0.3) == pytest.approx(0.83)


def test_a_given_pretest_probability_wins_over_the_primarys_default() -> None:
    assert choose_pretest(PrimaryCancer.PROSTATE, 0.25) == Pretest(0.25, "given by the user")
    assert choose_pretest(PrimaryCancer.UNKNOWN) is None
    assert choose_pretest(PrimaryCancer.PROSTATE) == PRETEST_BY_PRIMARY[PrimaryCancer.PROSTATE]


@pytest.mark.parametrize("value", [0.0, 1.0, 1.5, -0.1])
def test_a_pretest_probability_outside_zero_to_one_is_refused(value: float) -> None:
    with pytest.raises(InputError, match="strictly between 0 and 1"):
        choose_pretest(PrimaryCancer.UNKNOWN, value)


def test_each_named_primary_has_a_sourced_default() -> None:
    for cancer in PrimaryCancer:
        if cancer in (PrimaryCancer.UNKNOWN, PrimaryCancer.OTHER):
            assert cancer not in PRETEST_BY_PRIMARY
            continue
        pretest = PRETEST_BY_PRIMARY[cancer]
        assert 0.0 < pretest.probability < 1.0
        assert re.search(r"\b(19|20)\d\d\b", pretest.source), pretest.source  # a dated publication


def test_the_shipped_patient_model_knows_its_training_prior() -> None:
    model = load_patient_model()
    assert model.training_prevalence == pytest.approx(195 / 650)


@pytest.fixture(scope="module")
def readings(metastatic_case: Path) -> tuple[Assessment, Assessment]:
    study = load_study(metastatic_case / "baseline.dcm")
    return analyze(study), analyze(study, primary="breast", pretest_probability=0.05)


def test_the_pretest_probability_moves_the_patient_probability_and_nothing_else(
    readings: tuple[Assessment, Assessment],
) -> None:
    alone, informed = readings
    assert alone.pretest is None
    assert informed.pretest == Pretest(0.05, "given by the user")
    assert alone.scan_likelihood_ratio == pytest.approx(informed.scan_likelihood_ratio)
    assert informed.metastasis_probability == pytest.approx(
        post_test_probability(alone.scan_likelihood_ratio, 0.05)
    )
    assert informed.metastasis_probability < alone.metastasis_probability
    assert informed.bsi.percent == alone.bsi.percent
    assert informed.hotspot_count == alone.hotspot_count
    assert "from a pre-test probability of 0.05" in informed.impression
    assert "pre-test" not in alone.impression


def test_result_json_says_where_the_patient_probability_starts(
    readings: tuple[Assessment, Assessment],
) -> None:
    alone, informed = (result_document(reading)["patient"] for reading in readings)
    assert alone["pretest_probability"] is None and alone["pretest_source"] is None
    assert informed["pretest_probability"] == 0.05
    assert informed["pretest_source"] == "given by the user"
    assert informed["scan_likelihood_ratio"] == alone["scan_likelihood_ratio"] > 0


def test_analyze_command_takes_a_pretest_probability(metastatic_case: Path, tmp_path: Path) -> None:
    out = tmp_path / "analysis"
    argv = ["analyze", str(metastatic_case / "baseline.dcm"), "--out", str(out)]
    result = CliRunner().invoke(cli, [*argv, "--primary", "kidney", "--pretest-probability", "0.4"])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "result.json").read_text())
    assert document["patient"]["pretest_probability"] == 0.4
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["options"]["pretest_probability"] == 0.4


def test_analyze_command_refuses_a_pretest_probability_of_one(metastatic_case: Path, tmp_path: Path) -> None:
    out = tmp_path / "analysis"
    argv = ["analyze", str(metastatic_case / "baseline.dcm"), "--out", str(out)]
    result = CliRunner().invoke(cli, [*argv, "--pretest-probability", "1"])
    assert result.exit_code == 2
    assert "--pretest-probability" in result.output
    assert not out.exists()
