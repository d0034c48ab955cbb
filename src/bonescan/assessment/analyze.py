"""``analyze``: read a study from anatomy to impression, one step after the other."""

from __future__ import annotations

import logging

from bonescan.anatomy import segment
from bonescan.anatomy.model import Anatomy
from bonescan.anatomy.network import SkeletonNetwork
from bonescan.assessment.impression import impression
from bonescan.assessment.model import Assessment, PrimaryCancer
from bonescan.assessment.patient import LIKELY, load_patient_model, patient_features, super_scan_notes
from bonescan.assessment.pretest import choose_pretest, post_test_probability, scan_likelihood_ratio
from bonescan.classify.judge import JudgedFinding, judge_readings
from bonescan.classify.model import FindingModel
from bonescan.detect import Findings, detect
from bonescan.detect.grid import grid_notes
from bonescan.quantify.bsi import bone_scan_index
from bonescan.study import Study

__all__ = ["analyze", "judged_findings"]

logger = logging.getLogger(__name__)


def judged_findings(
    study: Study, *, network: SkeletonNetwork | None = None, finding_model: FindingModel | None = None
) -> tuple[Anatomy, Findings, tuple[JudgedFinding, ...], tuple[JudgedFinding, ...]]:
    """Run the steps before the patient assessment: label the skeleton, detect, judge the findings.

    Returns the anatomy, the findings, and the findings judged as reported and as the finding
    classifier's first reader judges them (:func:`~bonescan.classify.judge.judge_readings`).
    """
    anatomy = segment(study, network=network)
    findings = detect(study, anatomy)
    judged, first = judge_readings(findings.findings, finding_model, view_count=len(study.views))
    return anatomy, findings, tuple(judged), tuple(first)


def _likely(judged: tuple[JudgedFinding, ...]) -> int:
    return sum(1 for item in judged if item.metastasis_probability >= LIKELY)


def analyze(
    study: Study,
    *,
    primary: PrimaryCancer | str = PrimaryCancer.UNKNOWN,
    pretest_probability: float | None = None,
    network: SkeletonNetwork | None = None,
    finding_model: FindingModel | None = None,
) -> Assessment:
    """Read one study: label the skeleton, find and judge the spots, score the patient, write the impression.

    Parameters
    ----------
    study : Study
        The study (:func:`~bonescan.load_study`).
    primary : PrimaryCancer or str
        The primary cancer, when known; it sets the pre-test probability
        (:data:`~bonescan.assessment.pretest.PRETEST_BY_PRIMARY`).
    pretest_probability : float, optional
        The share of such patients with skeletal metastases, when the user knows it better than the
        primary cancer's default (its stage or risk group); strictly between 0 and 1.
    network : SkeletonNetwork, optional
        The skeleton-labelling network; by default the shipped one.
    finding_model : FindingModel, optional
        The finding classifier; by default the shipped one.

    Returns
    -------
    Assessment
        Findings with labels and probabilities, the patient probability, the BSI and the impression.
    """
    cancer = PrimaryCancer(primary)
    pretest = choose_pretest(cancer, pretest_probability)
    anatomy, findings, judged, first = judged_findings(study, network=network, finding_model=finding_model)
    patient = load_patient_model()
    references = list(findings.references.values())
    count = _likely(judged)
    # The patient model and the super-scan rule were fitted on the first reader's judgements; the
    # model also weighs how much the second reader lowered them.
    super_scan = patient.is_super_scan(references, _likely(first))
    diffuse = patient.super_scan_involvement if super_scan else None
    bsi = bone_scan_index(judged, anatomy, patient.bsi_calibration, diffuse)
    first_raw = bsi.raw_percent if first is judged else bone_scan_index(first, anatomy).raw_percent
    features = patient_features(first, first_raw, references)
    # Without a second reader the reported reading is the first: nothing lowered, nothing to weigh.
    reported = None if first is judged else patient_features(judged, bsi.raw_percent, references)
    model_probability = patient.probability(features, reported=reported, super_scan=super_scan)
    likelihood_ratio = scan_likelihood_ratio(model_probability, patient.training_prevalence)
    probability = (
        post_test_probability(likelihood_ratio, pretest.probability) if pretest else model_probability
    )
    text = impression(judged, probability, bsi.percent, super_scan, cancer, pretest)
    logger.info("patient probability %.2f, BSI %.2f%%, %d hotspot(s)", probability, bsi.percent, count)
    return Assessment(
        study=study,
        anatomy=anatomy,
        findings=findings,
        judged=judged,
        bsi=bsi,
        metastasis_probability=probability,
        hotspot_count=count,
        super_scan=super_scan,
        primary=cancer,
        impression=text,
        quality=study.quality + grid_notes(study) + super_scan_notes(references),
        pretest=pretest,
        scan_likelihood_ratio=likelihood_ratio,
    )
