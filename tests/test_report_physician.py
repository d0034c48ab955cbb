"""The physician's report: self-contained HTML in a real browser, the PDF's pages and text, escaping."""

from __future__ import annotations

import copy
import dataclasses
import logging
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

import numpy as np
import pytest
from markupsafe import escape
from PIL import Image
from scipy import ndimage

from bonescan.errors import OutputError
from bonescan.regions import REGIONS, Laterality, RegionKind
from bonescan.report import Confirmation, ReportSource, load_report_source
from bonescan.report.charts import bsi_chart_svg, format_percent, region_in_words
from bonescan.report.figures import annotated_views
from bonescan.report.physician import (
    DISCLAIMER,
    format_probability,
    label_in_words,
    physician_html,
    write_physician_html,
    write_physician_pdf,
)
from bonescan.report.source import anonymized_source
from tests.conftest import _require

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request, Route

CHROMIUM = Path("/usr/bin/chromium")
LONG_COMMENT = "agree with finding 3; " + "compare with the MRI of the pelvis before treatment. " * 8
CONFIRMED = Confirmation("Dr A. Reader", datetime(2024, 5, 1, 14, 2), LONG_COMMENT)
HOSTILE = "<script>alert({})</script>"


# --- sources and files ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def metastatic(metastatic_result: Path) -> ReportSource:
    return load_report_source(metastatic_result)


@pytest.fixture(scope="module")
def nm1(nm1_result_folder: Path) -> ReportSource:
    return load_report_source(nm1_result_folder)


def _tool(name: str) -> str:
    path = shutil.which(name)
    _require(path is not None, f"{name} (Debian package poppler-utils) is not installed")
    assert path is not None
    return path


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _pdf(source: ReportSource, folder: Path) -> Path:
    """Write the PDF; WeasyPrint must not have warned (an ignored style, an image it could not load)."""
    records = _Records()
    weasyprint_log = logging.getLogger("weasyprint")
    weasyprint_log.addHandler(records)
    try:
        written = write_physician_pdf(source, folder)
    finally:
        weasyprint_log.removeHandler(records)
    assert records.messages == []
    assert written == [folder / "report.pdf"]
    assert written[0].read_bytes().startswith(b"%PDF-")
    return written[0]


@pytest.fixture(scope="module")
def metastatic_pdf(metastatic: ReportSource, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _pdf(metastatic, tmp_path_factory.mktemp("physician_pdf"))


@pytest.fixture(scope="module")
def anonymized_confirmed_pdf(metastatic: ReportSource, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = dataclasses.replace(anonymized_source(metastatic), confirmation=CONFIRMED)
    return _pdf(source, tmp_path_factory.mktemp("physician_pdf_anonymized"))


@pytest.fixture(scope="module")
def nm1_pdf(nm1: ReportSource, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _pdf(nm1, tmp_path_factory.mktemp("physician_pdf_nm1"))


def _text(pdf: Path, *, layout: bool = False, page: int | None = None) -> str:
    command = [_tool("pdftotext"), "-enc", "UTF-8"]
    if layout:
        command.append("-layout")
    if page is not None:
        command += ["-f", str(page), "-l", str(page)]
    done = subprocess.run([*command, str(pdf), "-"], capture_output=True, text=True, check=True)
    return done.stdout


def _words(text: str) -> str:
    """Return text with every run of white space made one space."""
    return " ".join(text.split())


def _pages(pdf: Path) -> list[np.ndarray[Any, Any]]:
    """Return every page rendered at 50 dpi, as grey levels."""
    prefix = pdf.parent / "page"
    subprocess.run([_tool("pdftoppm"), "-r", "50", "-png", str(pdf), str(prefix)], check=True)
    files = sorted(pdf.parent.glob("page-*.png"), key=lambda path: int(path.stem.rsplit("-", 1)[1]))
    return [np.asarray(Image.open(path).convert("L")) for path in files]


def _bodies(page: np.ndarray[Any, Any]) -> int:
    """Return how many whole bodies a page shows: filled grey shapes taller than 40% of the page.

    A text line or the grid of a table is either short or mostly white inside its bounding box;
    a view of the skeleton at 50 dpi is one tall, largely filled shape.
    """
    labels, _ = ndimage.label(page < 235)
    count = 0
    for number, box in enumerate(ndimage.find_objects(labels), start=1):
        tall = (box[0].stop - box[0].start) / page.shape[0] > 0.4
        if tall and (labels[box] == number).mean() > 0.25:
            count += 1
    return count


# --- the HTML in Chromium -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    _require(CHROMIUM.is_file(), "chromium (Debian package chromium) is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require(False, "playwright is not installed in the environment")
        raise
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()


def _open(browser: Browser, path: Path) -> tuple[Page, list[str]]:
    """Open a file in a new page; return the page and every URL it asked for besides data: and itself.

    Such requests are recorded twice over (the page's request events and a route on every URL) and
    aborted, so nothing leaves the machine even when the check fails.
    """
    own = path.resolve().as_uri()
    outside: list[str] = []

    def note(url: str) -> None:
        if not url.startswith("data:") and url != own and url not in outside:
            outside.append(url)

    def route(handle: Route) -> None:
        url = handle.request.url
        if url.startswith("data:") or url == own:
            handle.continue_()
        else:
            note(url)
            handle.abort()

    def request(event: Request) -> None:
        note(event.url)

    page = browser.new_page(viewport={"width": 1200, "height": 1600})
    page.route("**/*", route)
    page.on("request", request)
    page.goto(own, wait_until="load")
    return page, outside


def test_the_no_network_check_sees_and_blocks_outside_requests(chromium: Browser, tmp_path: Path) -> None:
    page_file = tmp_path / "leaky.html"
    page_file.write_text(
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="http://192.0.2.1/report.css"></head>'
        '<body><img src="http://192.0.2.1/views.png"><img src="data:image/gif;base64,'
        'R0lGODlhAQABAAAAACw="></body></html>'
    )
    page, outside = _open(chromium, page_file)
    page.close()
    assert sorted(outside) == ["http://192.0.2.1/report.css", "http://192.0.2.1/views.png"]


def test_the_html_loads_nothing_from_outside_and_shows_the_views(
    chromium: Browser, metastatic: ReportSource, tmp_path: Path
) -> None:
    [path] = write_physician_html(metastatic, tmp_path)
    page, outside = _open(chromium, path)
    try:
        images = page.evaluate(
            "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
        )
        external = page.evaluate(
            "document.querySelectorAll('script, link, iframe, object, embed, [style*=url]').length"
        )
        bars = page.evaluate("document.querySelectorAll('svg.bsi-chart rect.bar').length")
        rows = page.evaluate("document.querySelectorAll('section.findings tbody tr').length")
    finally:
        page.close()
    assert outside == []
    picture = annotated_views(metastatic)
    assert images == [[True, picture.width, picture.height]]
    assert external == 0
    assert bars == sum(1 for value in metastatic.patient["bsi_by_region"].values() if value > 0)
    assert rows == len(metastatic.findings())


def test_hostile_text_is_shown_as_text_never_run(
    chromium: Browser, metastatic: ReportSource, tmp_path: Path
) -> None:
    document = copy.deepcopy(metastatic.document)
    first = document["hotspots"][0]["finding_id"]
    for entry in document["hotspots"]:
        if entry["finding_id"] == first:
            entry["reasons"] = [HOSTILE.format(1)]
            entry["region"] = HOSTILE.format(7)
    document["patient"]["impression"] = HOSTILE.format(2)
    document["patient"]["bsi_by_region"][HOSTILE.format(6)] = 0.1
    document["quality"] = [{"code": "x", "severity": "warning", "message": HOSTILE.format(3)}]
    confirmation = Confirmation(HOSTILE.format(4), datetime(2024, 5, 1, 14, 2), HOSTILE.format(5))
    hostile = dataclasses.replace(metastatic, document=document, confirmation=confirmation)
    html = physician_html(hostile)
    assert "<script" not in html
    for number in range(1, 8):
        assert f"&lt;script&gt;alert({number})&lt;/script&gt;" in html, number
    [path] = write_physician_html(hostile, tmp_path)
    page, outside = _open(chromium, path)
    try:
        scripts = page.evaluate("document.querySelectorAll('script').length")
        reason = page.evaluate("document.querySelector('td.reasons li').textContent")
        chart = page.evaluate("Array.from(document.querySelectorAll('svg text')).map(t => t.textContent)")
    finally:
        page.close()
    assert outside == [] and scripts == 0
    assert reason == HOSTILE.format(1)
    assert HOSTILE.format(6) in chart


# --- the PDF ------------------------------------------------------------------------------------------


def test_the_pdf_has_the_views_on_page_one_only(
    metastatic_pdf: Path, nm1_pdf: Path, anonymized_confirmed_pdf: Path
) -> None:
    # the layout puts the overview on page 1, the findings table and chart on page 2, the study and
    # method details after them; a long comment of the physician runs the summary on to page 2 but
    # does not push the views off page 1
    for pdf, views, count in ((metastatic_pdf, 2, 3), (nm1_pdf, 1, 3), (anonymized_confirmed_pdf, 2, 4)):
        pages = _pages(pdf)
        assert [_bodies(page) for page in pages] == [views] + [0] * (count - 1), pdf
        for page in pages:
            assert page.shape == (585, 414)  # A4 at 50 dpi


def test_the_pdf_text_holds_the_figures_findings_and_disclaimer(
    metastatic_pdf: Path, metastatic: ReportSource
) -> None:
    text = _words(_text(metastatic_pdf))
    patient = metastatic.patient
    findings = metastatic.findings()
    assert patient["bsi_percent"] >= 0.005 and patient["hotspot_count"] >= 1
    assert f"Bone Scan Index: {patient['bsi_percent']:.2f}%" in text
    assert (
        f"Hotspots suspicious for metastasis (probability ≥ 0.5): {patient['hotspot_count']} of "
        f"{len(findings)} findings"
    ) in text
    assert f"metastases: {patient['metastasis_probability']:.2f} (" in text
    assert " ".join(patient["impression"].split()[:8]) in text
    assert _words(DISCLAIMER) in text
    assert "Name: SIMULATED, CASE00004" in text
    assert "Patient ID: SIM-4711-case00004" in text and "Birth date: 1947-06-05" in text
    assert "Tc-99m MDP" in text and "Uptake interval: 3.8 h" in text
    assert "Pre-test probability: 0.10, from Suh et al., Clin Radiol 2018" in text  # prostate's default
    ratio = f"{patient['scan_likelihood_ratio']:.3g}"
    assert f"Likelihood ratio of the scan (its findings multiply the pre-test odds by): {ratio}" in text
    assert "No quality warnings." in text
    layout = _text(metastatic_pdf, layout=True)
    for finding in findings:
        probability = format_probability(finding.metastasis_probability)
        row = (
            rf"^\s*{finding.number}\s+{region_in_words(finding.region).split()[0]}\s.*"
            rf"\s{finding.kind}\s+{label_in_words(finding.label)}\s+{re.escape(probability)}\s"
        )
        assert re.search(row, layout, flags=re.MULTILINE), finding


def test_every_pdf_page_repeats_the_header_and_numbers_itself(
    metastatic_pdf: Path, anonymized_confirmed_pdf: Path
) -> None:
    for pdf, status, who in (
        (metastatic_pdf, "Draft: not yet confirmed by a physician", "SIMULATED, CASE00004"),
        (anonymized_confirmed_pdf, "Confirmed by Dr A. Reader at 2024-05-01 14:02", "Anonymized"),
    ):
        count = len(_pages(pdf))
        for number in range(1, count + 1):
            page = _words(_text(pdf, page=number))
            assert page.startswith(f"{who}"), (pdf, number)
            assert status in page and f"Page {number} of {count}" in page, (pdf, number)
            assert "bonescan assists the reader and does not replace the reader." in page


def test_an_anonymized_pdf_shows_no_identity(
    anonymized_confirmed_pdf: Path, metastatic: ReportSource
) -> None:
    text = _text(anonymized_confirmed_pdf)
    identity = metastatic.study.identity
    assert identity.name and identity.patient_id and identity.birth_date and identity.accession_number
    for value in (
        "SIMULATED",
        "CASE00004",
        identity.patient_id,
        identity.birth_date.isoformat(),
        identity.accession_number,
        str(metastatic.study.metadata.study_instance_uid),
    ):
        assert value not in text, value
    assert "Anonymized report: the patient's identity is left out." in _words(text)
    assert "Comment: agree with finding 3" in _words(text)


def test_the_real_scan_report_shows_its_warnings_and_one_view(nm1_pdf: Path, nm1: ReportSource) -> None:
    text = _words(_text(nm1_pdf))
    assert [entry["code"] for entry in nm1.document["quality"]][:2] == [
        "missing_view",
        "uptake_interval_unknown",
    ]
    squeezed = "".join(text.split())  # a long path may be broken anywhere
    for check in nm1.document["quality"]:
        assert "".join(f"{check['severity']}: {check['message']}".split()) in squeezed
    assert "Name: CompressedSamples, NM1" in text and "Anterior view;" in text
    assert "Radiopharmaceutical: not recorded" in text and "Uptake interval: not recorded" in text
    assert f"Bone Scan Index: {format_percent(nm1.patient['bsi_percent'])}" in text


# --- the HTML's contents ------------------------------------------------------------------------------


def test_an_anonymized_report_leaves_out_identity_and_input_paths(nm1: ReportSource) -> None:
    assert any(".dcm" in check["message"] for check in nm1.document["quality"])
    html = physician_html(anonymized_source(nm1))
    for value in ("CompressedSamples", "8NM1", "NM1_UNC.dcm", "/work/"):
        assert value not in html, value
    assert "input file 1: the file does not say which view it is" in html
    assert "Anonymized study: identity and dates left out" in html
    assert "2004-08-26" not in html


def test_draft_and_confirmed_status(metastatic: ReportSource) -> None:
    status = re.compile(r'<p class="status status-(\w+)"><strong class="status-line">([^<]*)</strong>')
    draft = physician_html(metastatic)
    assert status.findall(draft) == [("draft", "Draft: not yet confirmed by a physician")]
    confirmed = physician_html(dataclasses.replace(metastatic, confirmation=CONFIRMED))
    assert status.findall(confirmed) == [("confirmed", "Confirmed by Dr A. Reader at 2024-05-01 14:02")]
    assert "Comment: agree with finding 3" in confirmed and "Draft" not in confirmed


def test_the_findings_table_lists_every_reason(metastatic: ReportSource) -> None:
    html = physician_html(metastatic)
    cells = re.findall(r'<td class="reasons">\s*<ul>(.*?)</ul>', html, flags=re.DOTALL)
    items = [re.findall(r"<li>(.*?)</li>", cell) for cell in cells]
    expected = [[str(escape(reason)) for reason in finding.reasons] for finding in metastatic.findings()]
    assert items == expected


def test_a_bsi_of_zero_says_no_involvement(metastatic: ReportSource) -> None:
    document = copy.deepcopy(metastatic.document)
    document["patient"]["bsi_percent"] = 0.0
    document["patient"]["bsi_by_region"] = {"pelvis_right": 0.0}
    html = physician_html(dataclasses.replace(metastatic, document=document))
    assert "No skeletal involvement: Bone Scan Index 0.00%." in html
    assert "<svg" not in html


def test_the_html_is_written_atomically_and_refuses_a_missing_folder(
    metastatic: ReportSource, tmp_path: Path
) -> None:
    assert write_physician_html(metastatic, tmp_path) == [tmp_path / "report.html"]
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == physician_html(metastatic)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.html"]
    with pytest.raises(OutputError, match="does not exist"):
        write_physician_html(metastatic, tmp_path / "missing")


# --- region names and the chart -----------------------------------------------------------------------


def test_region_names_in_words() -> None:
    assert region_in_words("femur_proximal_left") == "left proximal femur"
    assert region_in_words("tibia_fibula_right") == "right tibia and fibula"
    assert region_in_words("facial_mandible") == "facial bones and mandible"
    assert region_in_words("cervical_spine") == "cervical spine"
    assert region_in_words("ribs_left") == "left ribs"
    assert region_in_words("pelvis_right") == "right pelvis"
    assert region_in_words("kidney_left") == "left kidney"
    assert region_in_words("some_new_region") == "some new region"
    for entry in REGIONS:
        if entry.kind is RegionKind.BACKGROUND:
            continue
        words = region_in_words(entry.name)
        assert "_" not in words, entry.name
        if entry.laterality is not Laterality.MIDLINE:
            assert words.startswith(f"{entry.laterality.value} "), entry.name


def test_the_bsi_chart_draws_involved_regions_largest_first() -> None:
    svg = bsi_chart_svg({"pelvis_right": 0.14, "foot_left": 0.0, "skull": 0.5, "ribs_left": 0.003})
    assert svg is not None
    root = ElementTree.fromstring(svg)
    namespace = "{http://www.w3.org/2000/svg}"
    texts = [element.text for element in root.iter(f"{namespace}text")]
    assert texts == ["skull", "0.50%", "right pelvis", "0.14%", "left ribs", "< 0.01%"]
    widths = [float(element.attrib["width"]) for element in root.iter(f"{namespace}rect")]
    assert widths == [300.0, 84.0, 1.8]
    assert bsi_chart_svg({}) is None and bsi_chart_svg({"skull": 0.0}) is None
    assert [format_percent(value) for value in (0.0, 0.0049, 0.005, 1.234)] == [
        "0.00%",
        "< 0.01%",
        "0.01%",
        "1.23%",
    ]
    assert [format_probability(value) for value in (0.0049, 0.005, 0.9539)] == ["< 0.01", "0.01", "0.95"]
