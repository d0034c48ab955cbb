"""The patient summary: plain words, reading level, DRAFT until confirmed, no diagnosis, no identity."""

from __future__ import annotations

import copy
import dataclasses
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from bonescan.errors import OutputError
from bonescan.report import Confirmation, ReportSource, load_report_source
from bonescan.report.patient_summary import (
    patient_summary_html,
    patient_summary_text,
    readability,
    reading_grade,
    write_patient_summary,
)
from bonescan.report.source import anonymized_source

SOLITARY = "A single spot like this often has another cause, such as an old injury or wear and tear."
FORBIDDEN = (
    "you have cancer",
    "cancer has spread",
    "metasta",
    "malignan",
    "tumour",
    "tumor",
    "lesion",
    "suspicious",
    "diagnos",
    "you have been found",
)
REGISTRY_WORDS = ("_", "tibia", "fibula", "femur", "pelvis", "lumbar", "thoracic", "sacrum", "humerus")
MAX_GRADE = 8.0


@pytest.fixture(scope="module")
def metastatic_source(metastatic_result: Path) -> ReportSource:
    return load_report_source(metastatic_result)


@pytest.fixture(scope="module")
def nm1_source(nm1_result_folder: Path) -> ReportSource:
    return load_report_source(nm1_result_folder)


def _finding(
    template: dict[str, Any],
    number: int,
    region: str,
    label: str,
    probability: float,
    *,
    kind: str = "hot",
    joint: str | None = None,
) -> dict[str, Any]:
    """Return a hotspot entry of result.json (anterior view) made from a real one."""
    entry = copy.deepcopy(template)
    entry.update(
        view="anterior",
        finding_id=number,
        region=region,
        label=label,
        metastasis_probability=probability,
        kind=kind,
        reasons=[f"in the {region}", *([f"at the {joint} (6 mm away)"] if joint else [])],
    )
    return entry


def _variant(
    source: ReportSource,
    specs: list[tuple[Any, ...]],
    *,
    super_scan: bool = False,
    quality: list[dict[str, str]] | None = None,
    primary: str = "prostate",
) -> ReportSource:
    """Return the source with its findings, super-scan flag and quality checks replaced."""
    document = copy.deepcopy(source.document)
    template = next(spot for spot in document["hotspots"] if spot["view"] == "anterior")
    hotspots = []
    for number, spec in enumerate(specs, start=1):
        region, label, probability, *rest = spec
        options = rest[0] if rest else {}
        hotspots.append(_finding(template, number, region, label, probability, **options))
    document["hotspots"] = hotspots
    document["patient"].update(
        hotspot_count=sum(1 for spot in hotspots if spot["metastasis_probability"] >= 0.5),
        super_scan=super_scan,
        primary_cancer=primary,
    )
    document["quality"] = quality or []
    return dataclasses.replace(source, document=document)


URINE = [("bladder", "physiological", 0.01), ("kidney_left", "physiological", 0.01)]
KNEES = [
    ("tibia_fibula_left", "degenerative", 0.01, {"joint": "left knee"}),
    ("tibia_fibula_right", "degenerative", 0.02, {"joint": "right knee"}),
]
SPREAD = [
    ("skull", "metastasis", 0.81),
    ("thoracic_spine", "metastasis", 0.93),
    ("lumbar_spine", "metastasis", 0.95),
    ("pelvis_left", "metastasis", 0.9),
    ("pelvis_right", "metastasis", 0.88),
    ("ribs_right", "metastasis", 0.7),
    ("femur_proximal_left", "metastasis", 0.66),
]
VARIANTS: dict[str, dict[str, Any]] = {
    "no findings": {"specs": []},
    "benign only": {"specs": [*KNEES, ("ribs_left", "fracture", 0.1), *URINE], "primary": "unknown"},
    "single spot": {"specs": [("lumbar_spine", "metastasis", 0.9), *URINE]},
    "many spots": {"specs": [*SPREAD, *URINE]},
    "super scan": {"specs": SPREAD[:3], "super_scan": True},
    "cold spots": {
        "specs": [
            ("skull", "myeloma_or_lytic", 0.8, {"kind": "cold"}),
            ("pelvis_right", "myeloma_or_lytic", 0.75, {"kind": "cold"}),
            ("lumbar_spine", "metastasis", 0.9),
            ("femur_distal_left", "indeterminate", 0.3, {"kind": "cold"}),
        ],
        "primary": "myeloma",
    },
    "quality warning": {
        "specs": [*KNEES],
        "quality": [
            {"code": "missing_view", "severity": "warning", "message": "the posterior view is missing"},
            {"code": "low_counts", "severity": "severe", "message": "200,000 counts"},
            {"code": "cut_off_feet", "severity": "warning", "message": "the body reaches the bottom edge"},
            {"code": "turned_upright", "severity": "info", "message": "turned upright"},
        ],
    },
}


@pytest.fixture(scope="module")
def variants(metastatic_source: ReportSource) -> dict[str, ReportSource]:
    return {name: _variant(metastatic_source, **options) for name, options in VARIANTS.items()}


def _confirmed(source: ReportSource, physician: str = "Dr A. Reader") -> ReportSource:
    return dataclasses.replace(source, confirmation=Confirmation(physician, datetime(2025, 3, 4, 10, 30)))


def _closer_look_sentence(count: int) -> str:
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")[count]
    return f"shows {words} spot{'s' if count > 1 else ''} that need{'s' if count == 1 else ''} a closer look."


class _TextOf(HTMLParser):
    """The visible text of a page, one entry per element, and the tags used."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.tags: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._skip += tag in ("style", "title")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "title")

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.chunks.append(data.strip())


def _page_text(page: str) -> _TextOf:
    parser = _TextOf()
    parser.feed(page)
    return parser


# --- reading level ----------------------------------------------------------------------------


def test_reading_grade_is_the_flesch_kincaid_grade_with_the_cmu_dictionary() -> None:
    # 6 words, 1 sentence, 6 syllables: 0.39 * 6 + 11.8 * 1 - 15.59
    assert reading_grade("The cat sat on the mat.") == pytest.approx(-1.45)
    # 7 syllables in 2 words by the CMU dictionary (radioactive: R EY2 D IY0 OW0 AE1 K T IH0 V):
    # 0.39 * 2 + 11.8 * 3.5 - 15.59; hyphenation rules alone count 6 (ra-dio-ac-tive) and give 20.59
    assert reading_grade("Radioactive tracer.") == pytest.approx(26.49)


def test_the_physicians_impression_reads_far_above_the_patient_summary(
    metastatic_source: ReportSource,
) -> None:
    impression = metastatic_source.patient["impression"]
    assert reading_grade(impression) > 10
    assert reading_grade(patient_summary_text(metastatic_source)) < reading_grade(impression) - 6


@pytest.mark.parametrize("name", list(VARIANTS))
def test_every_variant_reads_at_grade_eight_or_below(variants: dict[str, ReportSource], name: str) -> None:
    for source in (variants[name], _confirmed(variants[name])):
        scores = readability(patient_summary_text(source))
        assert scores["flesch_kincaid_grade"] <= MAX_GRADE, scores
        assert scores["smog"] <= MAX_GRADE, scores
        assert scores["flesch_reading_ease"] >= 70, scores


def test_the_real_and_simulated_results_read_at_grade_eight_or_below(
    metastatic_source: ReportSource, nm1_source: ReportSource
) -> None:
    for source in (metastatic_source, nm1_source):
        assert reading_grade(patient_summary_text(source)) <= MAX_GRADE


def test_every_line_ends_a_sentence_so_the_formulas_see_what_a_reader_sees(
    variants: dict[str, ReportSource],
) -> None:
    for source in variants.values():
        for line in patient_summary_text(source).splitlines():
            assert not line or line.endswith((".", "?")), line


# --- what it says -----------------------------------------------------------------------------


def test_the_count_of_spots_needing_a_closer_look_matches_the_document(
    variants: dict[str, ReportSource], metastatic_source: ReportSource
) -> None:
    sources = {**variants, "metastatic": metastatic_source}
    for name, source in sources.items():
        count = source.patient["hotspot_count"]
        text = patient_summary_text(source)
        if count:
            assert _closer_look_sentence(count) in text, name
            assert "no spots that need a closer look" not in text, name
        elif not source.patient["super_scan"]:
            assert "The scan shows no spots that need a closer look." in text, name
    assert variants["many spots"].patient["hotspot_count"] == 7
    assert "The scan shows seven spots that need a closer look." in patient_summary_text(
        variants["many spots"]
    )


def test_the_solitary_spot_sentence_is_there_for_one_spot_only(
    variants: dict[str, ReportSource], metastatic_source: ReportSource
) -> None:
    sources = {**variants, "metastatic": metastatic_source}
    with_sentence = {name for name, source in sources.items() if SOLITARY in patient_summary_text(source)}
    assert with_sentence == {"single spot", "metastatic"}


def test_places_are_in_plain_words(
    variants: dict[str, ReportSource], metastatic_source: ReportSource
) -> None:
    assert "It is in the lower back." in patient_summary_text(variants["single spot"])
    assert "It is in the right hip." in patient_summary_text(metastatic_source)
    assert (
        "They are in the skull, the upper back, the lower back, both hips, the right ribs and the left thigh."
        in patient_summary_text(variants["many spots"])
    )
    benign = patient_summary_text(variants["benign only"])
    assert "In both knees, the scan shows what looks like wear and tear of a joint." in benign
    assert "In the left ribs, the scan shows what looks like an old or healing injury to the bone." in benign
    assert "As expected, the tracer also shows in the bladder and the left kidney. This is normal." in benign
    for source in (*variants.values(), metastatic_source):
        text = patient_summary_text(source).lower()
        assert not [word for word in REGISTRY_WORDS if word in text]


def test_each_pattern_is_described(variants: dict[str, ReportSource]) -> None:
    benign = patient_summary_text(variants["benign only"])
    assert "The scan shows no spots that need a closer look.\nIt does show some other spots." in benign
    assert "Your doctor asked for this scan to check your bones." in benign
    empty = patient_summary_text(variants["no findings"])
    assert "no spots that need a closer look. Your bones took up the tracer in the usual way." in empty
    super_scan = patient_summary_text(variants["super scan"])
    assert "The scan looks unusual all over your skeleton, not just in a few spots." in super_scan
    assert "The scan also shows three spots that need a closer look." in super_scan
    assert "Why does my scan look unusual all over?" in super_scan
    cold = patient_summary_text(variants["cold spots"])
    assert "Two of these spots are cold spots. They show less tracer than the bone around them." in cold
    assert (
        "In the left thigh, the scan shows a spot with no clear cause. Your doctor will look at it along "
        "with the rest of the scan. This is a cold spot. It shows less tracer than the bone around it."
    ) in cold
    assert "In myeloma, a bone scan can miss some changes." in cold
    assert "What do the cold spots mean?" in cold
    single = patient_summary_text(variants["single spot"])
    assert (
        "Because you have been treated for prostate cancer, your doctor asked for this scan to check your "
        "bones." in single
    )
    assert "Some of the tracer also goes to the kidneys and the bladder" in single


def test_a_quality_limit_is_said_in_plain_words(variants: dict[str, ReportSource]) -> None:
    text = patient_summary_text(variants["quality warning"])
    section = text.split("Was there a problem with the pictures?\n")[1].split("\n\n")[0]
    assert section.splitlines() == [
        "The pictures had a limitation. Your doctor will keep this in mind when reading the scan.",
        "- One of the two usual pictures, from the front or the back, is missing.",
        "- The pictures are less sharp than usual.",
        "- The feet are not fully in the pictures.",
    ]
    assert "Was there a problem with the pictures?" not in patient_summary_text(variants["single spot"])


def test_nm1_says_which_view_is_missing(nm1_source: ReportSource) -> None:
    text = patient_summary_text(nm1_source)
    assert "- There is no picture from the back of the body. Usually there are two." in text
    assert "In the right hip and both knees, the scan shows what looks like wear and tear of a joint." in text
    assert "The scan shows no spots that need a closer look." in text


def test_no_diagnosis_is_made(variants: dict[str, ReportSource], metastatic_source: ReportSource) -> None:
    for source in (*variants.values(), metastatic_source):
        for version in (source, _confirmed(source)):
            text = patient_summary_text(version).lower()
            assert not [phrase for phrase in FORBIDDEN if phrase in text]


# --- draft and confirmation -------------------------------------------------------------------


def test_an_unconfirmed_summary_is_a_draft_not_for_the_patient(metastatic_source: ReportSource) -> None:
    text = patient_summary_text(metastatic_source)
    lines = text.splitlines()
    assert lines[0] == "DRAFT: your bone scan, in plain words."
    assert lines[2] == "DRAFT. A doctor has not checked this summary yet. Do not give it to the patient."
    assert lines[-1] == "DRAFT. Not checked by a doctor. Not for the patient."
    assert "This result was checked by" not in text
    page = patient_summary_html(metastatic_source)
    assert "<title>DRAFT: your bone scan, in plain words.</title>" in page
    assert '<div class="watermark" aria-hidden="true">DRAFT</div>' in page
    assert '<section class="banner" role="alert">' in page


def test_a_confirmed_summary_says_who_confirmed_it_and_when(metastatic_source: ReportSource) -> None:
    confirmed = _confirmed(metastatic_source)
    text = patient_summary_text(confirmed)
    assert text.splitlines()[0] == "Your bone scan, in plain words."
    assert "This result was checked by Dr A. Reader on 4 March 2025." in text
    assert "DRAFT" not in text
    page = patient_summary_html(confirmed)
    assert "DRAFT" not in page and "watermark" not in page.split("</style>")[1]
    assert "This result was checked by Dr A. Reader on 4 March 2025." in page


# --- identity ---------------------------------------------------------------------------------


def test_the_name_and_scan_date_are_shown_only_when_not_anonymized(metastatic_source: ReportSource) -> None:
    text = patient_summary_text(metastatic_source)
    assert "This summary is for CASE00004 SIMULATED." in text
    assert "Your scan was done on 5 June 2023." in text
    anonymous = anonymized_source(metastatic_source)
    for output in (patient_summary_text(anonymous), patient_summary_html(anonymous)):
        assert "CASE00004" not in output and "SIMULATED" not in output
        assert "This summary is for" not in output and "2023" not in output
    identity = metastatic_source.study.identity
    page = patient_summary_html(metastatic_source)
    for value in (identity.patient_id, identity.accession_number, "1947"):
        assert value is not None and value not in page and value not in text


# --- HTML -------------------------------------------------------------------------------------


def test_the_page_shows_the_same_words_as_the_text(variants: dict[str, ReportSource]) -> None:
    for source in (variants["quality warning"], _confirmed(variants["many spots"])):
        lines = [line.removeprefix("- ") for line in patient_summary_text(source).splitlines() if line]
        assert _page_text(patient_summary_html(source)).chunks == [
            *(["DRAFT"] if source.confirmation is None else []),
            *lines,
        ]


def test_the_page_is_self_contained(metastatic_source: ReportSource) -> None:
    page = patient_summary_html(metastatic_source)
    tags = set(_page_text(page).tags)
    assert tags.isdisjoint({"script", "link", "img", "iframe", "object"})
    assert not re.search(r"(https?:|url\(|@import|src=)", page)
    assert re.search(r"html \{ font-size: 20px; \}", page)
    assert "@media print" in page


def test_hostile_text_is_escaped(metastatic_source: ReportSource) -> None:
    hostile = '<script>alert("x")</script> & Co'
    study = dataclasses.replace(
        metastatic_source.study,
        identity=dataclasses.replace(metastatic_source.study.identity, name="<b>Eve</b>^Mallory & Co"),
    )
    source = _confirmed(dataclasses.replace(metastatic_source, study=study), physician=hostile)
    page = patient_summary_html(source)
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in page
    assert "This summary is for Mallory &amp; Co &lt;b&gt;Eve&lt;/b&gt;." in page
    assert set(_page_text(page).tags).isdisjoint({"script", "b"})


def test_the_summary_is_written_atomically_into_the_folder(
    metastatic_source: ReportSource, tmp_path: Path
) -> None:
    written = write_patient_summary(metastatic_source, tmp_path)
    assert written == [tmp_path / "patient-summary.html"]
    assert written[0].read_text(encoding="utf-8") == patient_summary_html(metastatic_source)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["patient-summary.html"]
    with pytest.raises(OutputError, match="does not exist"):
        write_patient_summary(metastatic_source, tmp_path / "missing")
