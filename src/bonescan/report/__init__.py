"""Reports of an analysis: for the physician, for the patient, and DICOM for the PACS."""

from bonescan.report.outputs import REPORT_FORMATS, write_reports
from bonescan.report.source import Confirmation, ReportSource, load_report_source, report_source

__all__ = [
    "REPORT_FORMATS",
    "Confirmation",
    "ReportSource",
    "load_report_source",
    "report_source",
    "write_reports",
]
