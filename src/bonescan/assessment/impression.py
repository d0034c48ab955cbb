"""The impression: what a reader would write at the end of the report, from the assessment's parts.

It names the pattern (no abnormality, a solitary spot, multiple spots in the axial skeleton, a super
scan, benign patterns, cold defects), the regions, the patient-level probability in words (and the
pre-test probability it starts from, when a primary cancer or a probability was given), the BSI, and
caveats (a solitary spot often has another cause; a bone scan underestimates myeloma and can miss the
lytic metastases of renal and thyroid cancer; lung cancer can reach the hands and feet).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bonescan.assessment.model import Pretest, PrimaryCancer
from bonescan.assessment.patient import LIKELY
from bonescan.classify.judge import JudgedFinding
from bonescan.classify.reasons import AT_JOINT_MM, joint_words, region_words

__all__ = ["impression", "probability_words"]

_BENIGN_WORDS = {
    "degenerative": "degenerative change",
    "fracture": "a fracture pattern",
    "paget": "Paget's disease",
    "osteomyelitis": "possible osteomyelitis",
    "prosthesis_related": "uptake around a prosthesis",
    "artefact": (
        "an artefact (urine outside the bladder, such as contamination or a catheter bag, "
        "or the injection site)"
    ),
}


def probability_words(probability: float) -> str:
    """Return the patient probability in words: low (< 0.2), intermediate, or high (>= 0.7)."""
    if probability < 0.2:
        return "low"
    return "high" if probability >= 0.7 else "intermediate"


def _listing(names: Sequence[str]) -> str:
    unique = list(dict.fromkeys(names))
    if len(unique) <= 1:
        return "".join(unique)
    return ", ".join(unique[:-1]) + " and " + unique[-1]


def _place(item: JudgedFinding) -> str:
    spot = item.finding.main
    if spot.measures.joint_distance_mm <= AT_JOINT_MM and spot.measures.nearest_joint:
        return joint_words(spot)
    return region_words(item.region)


def _malignant_sentence(likely: Sequence[JudgedFinding]) -> str:
    regions = _listing([region_words(item.finding.region) for item in likely][:6])
    if len(likely) == 1:
        return (
            f"A solitary focus of abnormal uptake in the {regions}, suspicious for a metastasis; a solitary "
            "spot often has another cause, so correlation with radiographs, CT or MRI is advised."
        )
    cold = sum(1 for item in likely if item.finding.kind.value == "cold")
    kinds = "foci of abnormal uptake" if cold == 0 else "foci of abnormal (hot and photopenic) uptake"
    return f"{len(likely)} {kinds} in the {regions}, suspicious for skeletal metastases."


def _scan_raised_the_odds(probability: float, pretest: Pretest | None) -> bool:
    """Whether the patient probability is likely and higher than the scan started from."""
    return probability >= LIKELY and (pretest is None or probability > pretest.probability)


def _weighed_together(benign: Sequence[JudgedFinding]) -> list[JudgedFinding]:
    """Return the hot bone findings under the likely threshold, most suspicious first."""
    hot = [
        item
        for item in benign
        if item.finding.kind.value == "hot" and item.label not in ("physiological", "artefact")
    ]
    return sorted(hot, key=lambda item: -item.metastasis_probability)


def _together_sentence(weighed: Sequence[JudgedFinding]) -> str:
    """Say why the patient probability is likely when no single focus is.

    The patient model weighs the pattern of all the findings (and reads them as the finding
    classifier's first network judged them), so it can call metastases likely where each focus, as
    reported, is more likely benign.
    """
    regions = _listing([_place(item) for item in weighed][:4])
    return (
        f"No single focus is more likely than not a metastasis, but the findings together (in the "
        f"{regions}) make skeletal metastases likely at the patient level: they deserve review, and "
        "correlation with radiographs, CT or MRI is advised."
    )


def _cold_sentence(cold: Sequence[JudgedFinding]) -> str | None:
    """Name photopenic defects that are not counted as likely metastases (a reader still checks them)."""
    if not cold:
        return None
    regions = _listing([region_words(item.finding.region) for item in cold][:6])
    what = "A photopenic defect" if len(cold) == 1 else f"{len(cold)} photopenic defects"
    return (
        f"{what} in the {regions}: a lytic lesion or myeloma should be excluded "
        "(correlation with radiographs or CT is advised)."
    )


def _benign_sentence(benign: Sequence[JudgedFinding]) -> str | None:
    counts = Counter(item.label for item in benign if item.label in _BENIGN_WORDS)
    if not counts:
        return None
    parts = []
    for label, _ in counts.most_common():
        regions = _listing([_place(i) for i in benign if i.label == label][:4])
        parts.append(f"{_BENIGN_WORDS[label]} in the {regions}")
    return "Findings in keeping with " + "; ".join(parts) + "."


def impression(
    judged: Sequence[JudgedFinding],
    probability: float,
    bsi_percent: float,
    super_scan: bool,
    primary: PrimaryCancer,
    pretest: Pretest | None = None,
) -> str:
    """Return the impression of a study in a reader's words.

    With a ``pretest`` probability, the patient-level probability says it starts from it.
    """
    likely = [item for item in judged if item.metastasis_probability >= LIKELY]
    benign = [item for item in judged if item.metastasis_probability < LIKELY]
    sentences = []
    if super_scan:
        sentences.append(
            "Diffusely increased uptake in the axial skeleton with relatively faint kidneys (super scan "
            "pattern), suggesting diffuse skeletal metastases. Poor renal function and metabolic bone "
            "disease (renal osteodystrophy, hyperparathyroidism) can look alike: correlation with renal "
            "function and serum biochemistry is advised."
        )
    defects = [item for item in benign if item.label == "myeloma_or_lytic"]
    weighed = _weighed_together(benign) if _scan_raised_the_odds(probability, pretest) else []
    if likely:
        sentences.append(_malignant_sentence(likely))
    elif weighed and not super_scan:
        sentences.append(_together_sentence(weighed))
    elif not super_scan:
        sentences.append(
            "No focus of increased uptake suspicious for skeletal metastases."
            if defects
            else "No scintigraphic evidence of skeletal metastases."
        )
    cold_text = _cold_sentence(defects)
    if cold_text:
        sentences.append(cold_text)
    benign_text = _benign_sentence(benign)
    if benign_text:
        sentences.append(benign_text)
    if any(item.label == "physiological" for item in judged):
        sentences.append("Physiological tracer activity in the urinary tract.")
    if primary is PrimaryCancer.MYELOMA:
        sentences.append("Bone scintigraphy underestimates myeloma; lytic lesions may show no uptake.")
    if primary in (PrimaryCancer.KIDNEY, PrimaryCancer.THYROID):
        sentences.append(
            f"Bone metastases of {primary.value} cancer are often lytic: bone scintigraphy can miss them, "
            "or show them as photopenic defects."
        )
    if primary is PrimaryCancer.LUNG and any(i.finding.region.startswith(("hand", "foot")) for i in likely):
        sentences.append("Lung cancer can spread to the hands and feet.")
    words = probability_words(probability)
    prior = f", from a pre-test probability of {pretest.probability:.2f}" if pretest else ""
    sentences.append(
        f"Patient-level probability of skeletal metastases: {probability:.2f} ({words}{prior}); "
        f"Bone Scan Index {bsi_percent:.2f}%."
    )
    return " ".join(sentences)
