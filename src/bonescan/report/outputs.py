"""The report formats ``bonescan analyze --report`` and ``bonescan report`` can write, and their writers.

Each writer takes a :class:`~bonescan.report.source.ReportSource` and a folder and returns the files
it wrote there. Formats:

``html``
    The physician's report, one self-contained HTML file, and the patient summary beside it.
``pdf``
    The physician's report as PDF.
``dicom``
    A Structured Report (TID 1500), a Secondary Capture of the annotated views and a Segmentation
    of the regions and findings, in ``dicom/``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from bonescan.errors import BonescanError
from bonescan.report.source import ReportSource

__all__ = ["REPORT_FORMATS", "check_formats", "write_reports"]

Writer = Callable[[ReportSource, Path], list[Path]]


def _html(source: ReportSource, folder: Path) -> list[Path]:
    from bonescan.report.patient_summary import write_patient_summary
    from bonescan.report.physician import write_physician_html

    return write_physician_html(source, folder) + write_patient_summary(source, folder)


def _pdf(source: ReportSource, folder: Path) -> list[Path]:
    from bonescan.report.physician import write_physician_pdf

    return write_physician_pdf(source, folder)


def _dicom(source: ReportSource, folder: Path) -> list[Path]:
    from bonescan.report.dicom import write_dicom_outputs

    return write_dicom_outputs(source, folder)


def _writers() -> dict[str, Writer]:
    return {"html": _html, "pdf": _pdf, "dicom": _dicom}


#: The formats in the order they are written.
REPORT_FORMATS: tuple[str, ...] = ("html", "pdf", "dicom")


def check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """Return the formats asked for, each once, in :data:`REPORT_FORMATS` order.

    Raises
    ------
    BonescanError
        When a format is unknown.
    """
    unknown = sorted(set(formats) - set(REPORT_FORMATS))
    if unknown:
        raise BonescanError(
            f"unknown report format {', '.join(unknown)}; choose from {', '.join(REPORT_FORMATS)}"
        )
    return tuple(name for name in REPORT_FORMATS if name in formats)


def write_reports(source: ReportSource, folder: Path, formats: Sequence[str]) -> list[Path]:
    """Write the reports in ``formats`` into ``folder``; return the files written."""
    writers = _writers()
    written: list[Path] = []
    for name in check_formats(formats):
        if name not in writers:
            raise BonescanError(f"the {name} report is not available in this version of bonescan")
        written += writers[name](source, folder)
    return written
