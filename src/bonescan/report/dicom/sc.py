"""The annotated views as a Secondary Capture, for viewers that do not render Structured Reports."""

from __future__ import annotations

import highdicom as hd
import numpy as np
from numpy.typing import NDArray

from bonescan.report.dicom.identity import OutputIdentity
from bonescan.report.dicom.views import ImageReference, secondary_capture
from bonescan.report.figures import annotated_views
from bonescan.report.source import ReportSource

__all__ = ["annotated_pixels", "annotated_secondary_capture"]

_SERIES_NUMBER = 902


def annotated_pixels(source: ReportSource) -> NDArray[np.uint8]:
    """Return the annotated picture of :func:`~bonescan.report.figures.annotated_views` as RGB pixels."""
    return np.ascontiguousarray(np.asarray(annotated_views(source).convert("RGB"), dtype=np.uint8))


def annotated_secondary_capture(
    source: ReportSource, identity: OutputIdentity, references: list[ImageReference]
) -> hd.sc.SCImage:
    """Return the Secondary Capture of both views with the numbered findings outlined.

    Parameters
    ----------
    source : ReportSource
        The result and its images.
    identity : OutputIdentity
        The patient and study attributes to carry.
    references : list of ImageReference
        The images the picture was made from (named in Source Image Sequence).
    """
    pixels = annotated_pixels(source)
    image = secondary_capture(
        identity,
        pixels,
        series_uid=hd.UID(),
        series_number=_SERIES_NUMBER,
        instance_number=1,
        series_description="bonescan: annotated views",
        photometric_interpretation="RGB",
        bits_allocated=8,
        patient_orientation=("L", "F"),
    )
    # The picture shows the anterior and posterior views side by side, whose left-right directions
    # differ: no single Patient Orientation holds for it, so it is left empty (Type 2C).
    image.PatientOrientation = []
    image.ImageType = ["DERIVED", "SECONDARY", "ANNOTATED"]

    image.ImageComments = "Findings outlined in their label's colour and numbered as in the report"
    image.DerivationDescription = "Both views upright, anterior on the left, with the findings drawn on"
    image.SourceImageSequence = [reference.source_item() for reference in references]
    return image
