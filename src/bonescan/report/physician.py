"""The physician's report: one self-contained HTML file, and the same page as PDF.

The report holds the two views with the numbered findings outlined and coloured by label, a legend
of the label colours, the key figures (patient-level probability, Bone Scan Index, hotspot count),
the impression, the quality warnings, the findings table with the reasons behind each judgement, the
BSI per region as a bar chart, the study details, the patient's identity (left out when the source is
anonymized), the method and software version, the confirmation status, and the statement that the
software assists the reader and does not replace them.

The HTML needs nothing from outside: the picture is a ``data:`` URI, the chart is inline SVG, the
style sheet is inline and the fonts are the reader's own; it holds no script. Every text from the
result or the study is escaped by Jinja2's autoescaping. The PDF is made from the same HTML by
WeasyPrint, with a URL fetcher that refuses everything but ``data:`` URIs, on A4 pages with a
running header and footer (page numbers, status, disclaimer); the views stay on page 1.
"""

from __future__ import annotations

import base64
import io
import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup
from pydicom.valuerep import PersonName
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from bonescan._files import write_bytes_atomically
from bonescan.assessment.impression import probability_words
from bonescan.assessment.patient import LIKELY
from bonescan.report.charts import bsi_chart_svg, format_percent, region_in_words
from bonescan.report.figures import LABEL_COLOURS, annotated_views, label_colour
from bonescan.report.page_templates import template
from bonescan.report.source import ReportFinding, ReportSource
from bonescan.study import StudyMetadata

__all__ = [
    "DISCLAIMER",
    "HTML_FILE",
    "PDF_FILE",
    "format_probability",
    "label_in_words",
    "physician_html",
    "physician_pdf",
    "write_physician_html",
    "write_physician_pdf",
]

logger = logging.getLogger(__name__)

HTML_FILE = "report.html"
PDF_FILE = "report.pdf"

#: The statement every physician report carries, on page 1 and in the running footer.
DISCLAIMER = (
    "bonescan is a reading assistant: it assists the physician who reads the scan and does not replace "
    "the reader. Every finding, label and figure must be checked against the images before the report "
    "is used for the patient's care."
)
_NOT_RECORDED = "not recorded"
_LABEL_WORDS = {
    "myeloma_or_lytic": "myeloma or lytic",
    "prosthesis_related": "prosthesis-related",
}
# The views on page 1: at most this tall and wide (A4 less margins, header and caption), then the gap
# to the summary beside them.
_VIEWS_HEIGHT_MM = 195.0
_VIEWS_MAX_WIDTH_MM = 110.0
_GAP_MM = 8.0
_SEX_WORDS = {"M": "male", "F": "female", "O": "other"}
_METHOD = (
    (
        "Detection",
        "hot and cold spots are found in each view against the normal uptake of their bone region and "
        "paired across the views into findings.",
    ),
    (
        "Classification",
        "a small neural network, trained on simulated scans, looks at the image around each finding "
        "together with its measurements and gives it a label and a probability of metastasis; a second "
        "network, trained on simulated scans that also show spondylosis, may lower that probability "
        "(never raise it), and the findings table says where it did. Activity in the kidneys and "
        "bladder is labelled physiological. The reasons in the findings table are the measurements "
        "behind each judgement. The probabilities were calibrated on simulated scans only.",
    ),
    (
        "Patient-level probability",
        "a logistic model over the pattern of the findings (their number and probabilities as the "
        "first network read them and how much the second lowered them, axial spread, a solitary spot, "
        "the raw extent, bone over soft tissue and axial over long-bone uptake), combined with the "
        "pre-test probability of the primary cancer given, and calibrated on simulated patients; it can "
        "be likely when no single finding is.",
    ),
    (
        "Bone Scan Index",
        "the share of skeletal mass involved by findings judged malignant, each weighted by its "
        "probability and by the skeletal mass of its region (Imbriaco et al. 1998), calibrated on "
        "simulated patients: an estimate of the extent, not a measurement.",
    ),
    (
        "Hotspot count",
        f"the findings with a metastasis probability of at least {LIKELY:.1f}.",
    ),
)


def label_in_words(label: str) -> str:
    """Return a finding label as words: ``myeloma_or_lytic`` -> ``myeloma or lytic``."""
    return _LABEL_WORDS.get(label, label.replace("_", " "))


def format_probability(probability: float) -> str:
    """Return a probability with two decimals, or ``< 0.01`` for one that would round to zero."""
    return "< 0.01" if probability < 0.005 else f"{probability:.2f}"


def _hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def _views(source: ReportSource) -> dict[str, Any]:
    """Return the annotated views as a ``data:`` URI and their width on the page, in millimetres."""
    picture = annotated_views(source)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    width_mm = min(_VIEWS_MAX_WIDTH_MM, _VIEWS_HEIGHT_MM * picture.width / picture.height)
    return {
        "views_uri": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"),
        "views_width_mm": f"{width_mm:.1f}",
        "summary_margin_mm": f"{width_mm + _GAP_MM:.1f}",
    }


def _finding_row(finding: ReportFinding) -> dict[str, Any]:
    return {
        "number": finding.number,
        "region": region_in_words(finding.region),
        "views": ", ".join(view.value for view in finding.views),
        "kind": finding.kind,
        "label": label_in_words(finding.label),
        "colour": _hex(label_colour(finding.label)),
        "probability": format_probability(finding.metastasis_probability),
        "likely": finding.metastasis_probability >= LIKELY,
        "reasons": list(finding.reasons),
    }


def _legend(findings: list[ReportFinding]) -> list[dict[str, Any]]:
    """Return every label colour, the labels of this study's findings marked as used."""
    used = {finding.label for finding in findings}
    return [
        {"label": label_in_words(label), "colour": _hex(colour), "used": label in used}
        for label, colour in LABEL_COLOURS.items()
    ]


def _quality(source: ReportSource) -> list[dict[str, str]]:
    checks = []
    for check in source.document.get("quality", []):
        message = str(check["message"])
        checks.append(
            {
                "severity": str(check["severity"]),
                "code": str(check["code"]),
                "message": message,
            }
        )
    return checks


def _when(moment: date | datetime | None) -> str:
    if moment is None:
        return _NOT_RECORDED
    if isinstance(moment, datetime):
        text = moment.strftime("%Y-%m-%d %H:%M")
        return f"{text} {moment.strftime('%z')}".strip()
    return moment.isoformat()


def _camera(metadata: StudyMetadata) -> str:
    camera = metadata.camera
    words = " ".join(part for part in (camera.manufacturer, camera.model) if part)
    if camera.station_name:
        words = f"{words} (station {camera.station_name})".strip()
    return words or _NOT_RECORDED


def _study_details(source: ReportSource) -> list[tuple[str, str]]:
    metadata = source.study.metadata
    interval = metadata.uptake_interval_hours
    activity = metadata.injected_activity_mbq
    age = metadata.patient.age_years
    views = " and ".join(
        f"{view.name.value} ({view.shape[0]} x {view.shape[1]} pixels of "
        f"{view.pixel_spacing_mm[0]:.2f} x {view.pixel_spacing_mm[1]:.2f} mm)"
        for view in source.study.views
    )
    details = [
        ("Study date", _when(metadata.study_date)),
        ("Description", metadata.study_description or _NOT_RECORDED),
        ("Radiopharmaceutical", metadata.radiopharmaceutical or _NOT_RECORDED),
        ("Injected activity", f"{activity:.0f} MBq" if activity is not None else _NOT_RECORDED),
        ("Injection time", _when(metadata.injection_time)),
        ("Acquisition time", _when(metadata.acquisition_time)),
        ("Uptake interval", f"{interval:.1f} h" if interval is not None else _NOT_RECORDED),
        ("Camera", _camera(metadata)),
        ("Views", views),
        ("Patient age", f"{age:.0f} years" if age is not None else _NOT_RECORDED),
        ("Primary cancer", str(source.patient.get("primary_cancer", "unknown"))),
        ("Pre-test probability", _pretest_words(source.patient)),
    ]
    if not source.anonymized and metadata.study_instance_uid:
        details.append(("Study Instance UID", metadata.study_instance_uid))
    return details


def _pretest_words(patient: dict[str, Any]) -> str:
    """Return the pre-test probability the patient probability starts from, and its source."""
    if "pretest_probability" not in patient:
        return _NOT_RECORDED  # a result written before pre-test probabilities were used
    probability = patient["pretest_probability"]
    if probability is None:
        return "not given (the patient model's own prior)"
    return (
        f"{format_probability(float(probability))}, from {patient.get('pretest_source') or 'no source given'}"
    )


def _person_name(name: str) -> str:
    """Return a DICOM person name (``Family^Given^Middle``) as ``Family, Given Middle``."""
    person = PersonName(name)
    given = " ".join(part for part in (person.given_name, person.middle_name) if part)
    family = person.family_name or name
    return f"{family}, {given}" if given else family


def _identity(source: ReportSource) -> list[tuple[str, str]] | None:
    """Return the patient's identity, or None when the report must leave it out."""
    if source.anonymized:
        return None
    identity = source.study.identity
    sex = source.study.metadata.patient.sex
    rows = [
        ("Name", _person_name(identity.name) if identity.name else _NOT_RECORDED),
        ("Patient ID", identity.patient_id or _NOT_RECORDED),
        ("Birth date", _when(identity.birth_date)),
        ("Sex", _SEX_WORDS.get(sex, sex) if sex else _NOT_RECORDED),
    ]
    if identity.accession_number:
        rows.append(("Accession number", identity.accession_number))
    return rows


def _status(source: ReportSource) -> dict[str, str]:
    confirmation = source.confirmation
    if confirmation is None:
        return {
            "state": "draft",
            "headline": "Draft: not yet confirmed by a physician",
            "comment": "",
        }
    return {
        "state": "confirmed",
        "headline": f"Confirmed by {confirmation.physician} at {_when(confirmation.confirmed_at)}",
        "comment": confirmation.comment,
    }


def _key_figures(source: ReportSource, findings: list[ReportFinding]) -> list[tuple[str, str]]:
    patient = source.patient
    probability = float(patient["metastasis_probability"])
    figures = [
        (
            "Patient-level probability of skeletal metastases",
            f"{format_probability(probability)} ({probability_words(probability)})",
        )
    ]
    if patient.get("pretest_probability") is not None:
        ratio = float(patient["scan_likelihood_ratio"])
        figures.append(
            ("Likelihood ratio of the scan (its findings multiply the pre-test odds by)", f"{ratio:.3g}")
        )
    figures += [
        ("Bone Scan Index", format_percent(float(patient["bsi_percent"]))),
        (
            f"Hotspots suspicious for metastasis (probability ≥ {LIKELY:.1f})",
            f"{int(patient['hotspot_count'])} of {len(findings)} findings",
        ),
    ]
    if patient.get("super_scan"):
        figures.append(("Super scan pattern", "yes"))
    return figures


def _views_caption(source: ReportSource) -> str:
    names = [view.name.value for view in source.study.views]
    return " and ".join(names).capitalize() + (" views" if len(names) > 1 else " view")


def _running(source: ReportSource) -> str:
    """Return the line repeated at the top of every page: who (unless anonymized) and which study."""
    if source.anonymized:
        return "Anonymized study: identity and dates left out"
    study = f"study of {_when(source.study.metadata.study_date)}"
    identity = source.study.identity
    who = [_person_name(identity.name) if identity.name else "name not recorded"]
    if identity.patient_id:
        who.append(f"ID {identity.patient_id}")
    return " · ".join([*who, study])


def _title(day: date | None) -> str:
    return f"Bone scan report, {_when(day)}" if day is not None else "Bone scan report"


def _context(source: ReportSource) -> dict[str, Any]:
    findings = source.findings()
    patient = source.patient
    chart = bsi_chart_svg(patient.get("bsi_by_region", {}))
    return {
        "title": _title(source.study.metadata.study_date),
        "running": _running(source),
        **_views(source),
        "views_caption": _views_caption(source),
        "findings": [_finding_row(finding) for finding in findings],
        "legend": _legend(findings),
        "key_figures": _key_figures(source, findings),
        "impression": str(patient["impression"]),
        "bsi": format_percent(float(patient["bsi_percent"])),
        "bsi_is_zero": float(patient["bsi_percent"]) == 0.0,
        "bsi_chart": Markup(chart) if chart is not None else None,  # ElementTree escaped its texts
        "quality": _quality(source),
        "study": _study_details(source),
        "identity": _identity(source),
        "status": _status(source),
        "anatomy_method": str(source.document.get("anatomy", {}).get("method", _NOT_RECORDED)),
        "method": _METHOD,
        "version": str(source.document.get("software", {}).get("version", _NOT_RECORDED)),
        "disclaimer": DISCLAIMER,
    }


def physician_html(source: ReportSource) -> str:
    """Return the physician's report as one self-contained HTML document.

    Parameters
    ----------
    source : ReportSource
        The result and its images.

    Returns
    -------
    str
        The HTML, with the picture inlined as a ``data:`` URI and the style sheet inline.
    """
    return template("physician.html.j2").render(_context(source))


def physician_pdf(source: ReportSource) -> bytes:
    """Return the physician's report as PDF (A4), made from :func:`physician_html` by WeasyPrint.

    Nothing is fetched while rendering: the URL fetcher accepts ``data:`` URIs only and stops the
    rendering on any other.
    """
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    pdf: bytes = HTML(string=physician_html(source), url_fetcher=fetcher).write_pdf()
    return pdf


def write_physician_html(source: ReportSource, folder: Path) -> list[Path]:
    """Write the physician's report as ``report.html`` into ``folder``; return the file written.

    Raises
    ------
    OutputError
        When ``folder`` does not exist.
    """
    target = Path(folder) / HTML_FILE
    text = physician_html(source).encode("utf-8")
    write_bytes_atomically(target, text)
    logger.info("wrote %s", target)
    return [target]


def write_physician_pdf(source: ReportSource, folder: Path) -> list[Path]:
    """Write the physician's report as ``report.pdf`` into ``folder``; return the file written.

    Raises
    ------
    OutputError
        When ``folder`` does not exist.
    """
    target = Path(folder) / PDF_FILE
    data = physician_pdf(source)
    write_bytes_atomically(target, data)
    logger.info("wrote %s", target)
    return [target]
