"""The finding classifier's second reader: it may lower a malignant probability, never raise it."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from bonescan.classify.features import FEATURE_NAMES
from bonescan.classify.model import FindingModel, load_finding_model, lowered_by_second_reader
from bonescan.detect.model import Finding, ViewName
from tests.phantoms import fixed_finding_model, hot_spot

FIRST = ("normal", "degenerative", "fracture", "metastasis")
SECOND = ("normal", "degenerative", "fracture", "metastasis", "myeloma_or_lytic")


def test_a_lower_malignant_probability_is_taken_and_its_rest_goes_to_the_benign_classes() -> None:
    """Row 1: the second reader says 0.1 + 0.1 malignant where the first says 0.6; the freed 0.4 goes
    to degenerative and fracture as 0.2 : 0.1 (the second's own), normal stays 0.1.
    Row 2: the second says 0.9, more than the first's 0.6: the row is the first's."""
    first = np.array([[0.1, 0.2, 0.1, 0.6], [0.1, 0.2, 0.1, 0.6]])
    second = np.array([[0.5, 0.2, 0.1, 0.1, 0.1], [0.05, 0.03, 0.02, 0.8, 0.1]])
    result = lowered_by_second_reader(first, FIRST, second, SECOND)
    assert result[0] == pytest.approx([0.1, 0.2 + 0.4 * 2 / 3, 0.1 + 0.4 / 3, 0.2])
    assert result[1] == pytest.approx(first[1])
    assert result.sum(axis=1) == pytest.approx([1.0, 1.0])


def test_no_benign_opinion_of_the_second_reader_spreads_in_the_first_readers_proportions() -> None:
    first = np.array([[0.2, 0.3, 0.1, 0.4]])
    second = np.array([[0.9, 0.0, 0.0, 0.1, 0.0]])
    result = lowered_by_second_reader(first, FIRST, second, SECOND)
    assert result[0] == pytest.approx([0.2, 0.3 + 0.3 * 0.75, 0.1 + 0.3 * 0.25, 0.1])


def _fixed(classes: tuple[str, ...], values: list[float], second: FindingModel | None = None) -> FindingModel:
    return fixed_finding_model(dict(zip(classes, values, strict=True)), second)


def _spine_finding() -> Finding:
    rows, columns = np.arange(200, 206).repeat(3), np.tile(np.arange(120, 123), 6)
    return Finding(1, {ViewName.POSTERIOR: hot_spot(ViewName.POSTERIOR, rows, columns)})


def test_a_spot_the_second_reader_calls_degenerative_is_judged_degenerative() -> None:
    from bonescan.classify.judge import judge_findings

    second = _fixed(SECOND, [0.1, 0.7, 0.05, 0.1, 0.05])
    first = _fixed(FIRST, [0.05, 0.05, 0.05, 0.85], second)
    (judged,) = judge_findings([_spine_finding()], first)
    assert judged.label == "degenerative"
    assert judged.metastasis_probability == pytest.approx(0.15)
    assert judged.probabilities["normal"] == pytest.approx(0.05)
    assert "metastasis probability 0.85 lowered to 0.15" in judged.reasons[-1]
    (alone,) = judge_findings([_spine_finding()], _fixed(FIRST, [0.05, 0.05, 0.05, 0.85]))
    assert alone.label == "metastasis" and alone.metastasis_probability == pytest.approx(0.85)


def test_the_second_reader_keeps_no_candidate_the_first_drops() -> None:
    from bonescan.classify.judge import judge_findings

    second = _fixed(SECOND, [0.01, 0.01, 0.01, 0.96, 0.01])
    first = _fixed(FIRST, [0.7, 0.1, 0.05, 0.15], second)
    assert judge_findings([_spine_finding()], first) == []
    (kept,) = judge_findings([_spine_finding()], _fixed(FIRST, [0.3, 0.1, 0.05, 0.55], second))
    assert kept.metastasis_probability == pytest.approx(0.55)
    assert not any("lowered" in reason for reason in kept.reasons)


def test_a_model_description_names_its_second_reader(tmp_path: Path) -> None:
    weights = Path(str(resources.files("bonescan.classify") / "weights"))
    document = json.loads((weights / "findings.json").read_text())
    document.pop("second_reader", None)
    shutil.copy(weights / document["onnx"], tmp_path / "first.onnx")
    shutil.copy(weights / document["onnx"], tmp_path / "second.onnx")
    (tmp_path / "second.json").write_text(json.dumps({**document, "onnx": "second.onnx"}))
    (tmp_path / "first.json").write_text(
        json.dumps({**document, "onnx": "first.onnx", "second_reader": "second.json"})
    )
    model = load_finding_model(tmp_path / "first.json")
    assert model.second_reader is not None and model.second_reader.second_reader is None
    features = np.random.default_rng(1).normal(size=(4, len(FEATURE_NAMES)))
    patches = np.random.default_rng(2).random((4, 3, 32, 32)).astype(np.float32)
    alone = load_finding_model(tmp_path / "second.json")
    # a second reader that is the first itself changes nothing
    assert model.probabilities(features, patches) == pytest.approx(alone.probabilities(features, patches))


def _first_reader_alone() -> FindingModel:
    shipped = load_finding_model()
    assert shipped.second_reader is not None, "the shipped classifier names a second reader"
    return replace(shipped, second_reader=None)


def _logit(probability: float) -> float:
    return math.log(probability / (1.0 - probability))


def test_the_patient_probability_moves_by_the_weighed_drops_of_the_second_reader(
    metastatic_case: Path,
) -> None:
    """The patient model reads the first reader's judgements and weighs how much the second reader
    lowered three of their features: reading the same study with the first reader alone changes the
    patient log-odds by exactly the weighted drops (the pre-test probability shifts both alike), keeps
    the super-scan call and the findings, and no reported finding is above the first reader's."""
    from bonescan.assessment import analyze
    from bonescan.assessment.patient import load_patient_model, patient_features
    from bonescan.io import load_study

    study = load_study(metastatic_case / "baseline.dcm")
    both = analyze(study, primary="prostate")
    alone = analyze(study, primary="prostate", finding_model=_first_reader_alone())
    assert not both.super_scan and not alone.super_scan
    assert [item.finding.number for item in both.judged] == [item.finding.number for item in alone.judged]
    lowered = [
        reported.metastasis_probability - first.metastasis_probability
        for reported, first in zip(both.judged, alone.judged, strict=True)
    ]
    assert max(lowered) <= 1e-12
    assert min(lowered) < 0.0, "the fixture has a finding the second reader lowers"
    model = load_patient_model()
    references = list(both.findings.references.values())
    drops = model.second_reader_drops(
        patient_features(alone.judged, 0.0, references), patient_features(both.judged, 0.0, references)
    )
    shift = _logit(both.metastasis_probability) - _logit(alone.metastasis_probability)
    assert shift == pytest.approx(float(drops @ model.second_reader_weights), abs=1e-9)
    assert shift < 0.0, "what the second reader lowers makes the patient less likely"
    assert both.hotspot_count <= alone.hotspot_count
