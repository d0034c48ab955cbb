"""The primary cancer in the patient probability: a pre-test probability, combined by Bayes' rule.

The patient model (:mod:`bonescan.assessment.patient`) is fitted on simulated patients of whom a fixed
share has metastases (:attr:`~bonescan.assessment.patient.PatientModel.training_prevalence`), so its
output is the probability for a patient drawn from that mix. What the scan itself says is the
likelihood ratio of its findings: the model's odds over the odds of that share
(:func:`scan_likelihood_ratio`). A reader who knows the primary cancer starts from another pre-test
probability, the share of such patients whose bone scan shows metastases, and the scan's likelihood
ratio carries it to the post-test probability (:func:`post_test_probability`).

:data:`PRETEST_BY_PRIMARY` holds a default pre-test probability for each primary cancer, with its
published source; they depend strongly on the stage and risk group, so a user who knows better gives
one (``bonescan analyze --pretest-probability``). With neither a primary cancer nor a pre-test
probability, the probability is the model's own.
"""

from __future__ import annotations

from collections.abc import Mapping

from bonescan.assessment.model import Pretest, PrimaryCancer
from bonescan.errors import InputError

__all__ = [
    "PRETEST_BY_PRIMARY",
    "choose_pretest",
    "post_test_probability",
    "scan_likelihood_ratio",
]

_EDGE = 1e-6


#: The share of patients with each primary cancer who have skeletal metastases (for myeloma, bone
#: disease) when scanned, as published. ``other`` and ``unknown`` have none (the model's own prior,
#: 0.30, lies near the 27% of bone scans of cancer patients with a relevant finding: Hardoff et al.,
#: Isr J Med Sci 1994;30:146-52). For myeloma the share is of bone disease, most of which a bone
#: scan does not show: a scan without findings leaves the probability intermediate, as it should.
PRETEST_BY_PRIMARY: Mapping[PrimaryCancer, Pretest] = {
    PrimaryCancer.PROSTATE: Pretest(
        0.10,
        "Suh et al., Clin Radiol 2018 (meta-analysis of 54 studies of untreated men): bone scans "
        "positive in 10% at Gleason score 7, 4.1% at 6 or less, 28.7% at 8 or more",
    ),
    PrimaryCancer.BREAST: Pretest(
        0.06,
        "Puglisi et al., Ann Oncol 2005;16:263-6: bone scans positive in 6.3% of newly diagnosed "
        "breast cancer, 14% in stage III",
    ),
    PrimaryCancer.LUNG: Pretest(
        0.21,
        "Chest 2005;127:449 (PMID 15705981): bone metastases on whole-body bone scans in 20.8% of "
        "newly diagnosed non-small-cell lung cancer, 5.8% without bone pain or raised alkaline "
        "phosphatase or calcium",
    ),
    PrimaryCancer.KIDNEY: Pretest(
        0.17,
        "J Urol 2001;166:2126-8 (PMID 11696720): bone metastases in 17% of 205 patients with renal "
        "cell carcinoma at presentation, 5% in T1-2 N0 M0, 35% when locally advanced or metastatic",
    ),
    PrimaryCancer.MYELOMA: Pretest(
        0.75,
        "osteolytic lesions in 70-80% of patients with myeloma at diagnosis (Springer book chapter, "
        "doi:10.1007/978-3-319-25586-6_7); a bone scan shows under half of the lesions a skeletal "
        "survey shows (Acta Haematol 1983;69:236-42)",
    ),
    PrimaryCancer.THYROID: Pretest(
        0.08,
        "Qiu et al., J Shanghai Jiaotong Univ (Med Sci) 2010;30:1059: bone metastases in 8.4% of "
        "1,258 patients with differentiated thyroid cancer given radioiodine",
    ),
}


def _odds(probability: float) -> float:
    clipped = min(max(probability, _EDGE), 1.0 - _EDGE)
    return clipped / (1.0 - clipped)


def scan_likelihood_ratio(probability: float, training_prevalence: float) -> float:
    """Return how much the scan multiplies the odds of metastases: the model's odds over its prior's.

    Parameters
    ----------
    probability : float
        The patient model's probability (for a patient of its training mix).
    training_prevalence : float
        The share of metastatic patients the model was fitted on.
    """
    return _odds(probability) / _odds(training_prevalence)


def post_test_probability(likelihood_ratio: float, pretest: float) -> float:
    """Return the probability of metastases after a scan with ``likelihood_ratio`` (Bayes' rule)."""
    odds = _odds(pretest) * likelihood_ratio
    return odds / (1.0 + odds)


def choose_pretest(primary: PrimaryCancer, given: float | None = None) -> Pretest | None:
    """Return the pre-test probability to use: the one ``given``, the primary's default, or None.

    Raises
    ------
    InputError
        When ``given`` does not lie strictly between 0 and 1.
    """
    if given is not None:
        if not 0.0 < given < 1.0:
            raise InputError(None, f"the pre-test probability must lie strictly between 0 and 1, not {given}")
        return Pretest(given, "given by the user")
    return PRETEST_BY_PRIMARY.get(primary)
