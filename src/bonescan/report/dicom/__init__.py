"""DICOM outputs for PACS and viewers.

A TID 1500 Structured Report, a Secondary Capture of the annotated views, and a Segmentation of the
skeletal regions and findings (``docs/dicom-outputs.md``).
"""

from bonescan.report.dicom.writer import DICOM_FOLDER, build_dicom_outputs, write_dicom_outputs

__all__ = ["DICOM_FOLDER", "build_dicom_outputs", "write_dicom_outputs"]
