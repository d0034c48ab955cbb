"""The annotated views as a Secondary Capture, for viewers that do not render Structured Reports."""

from __future__ import annotations

import highdicom as hd
import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from bonescan._version import __version__
from bonescan.report.dicom.identity import OutputIdentity
from bonescan.report.dicom.views import MANUFACTURER, ImageReference
from bonescan.report.figures import annotated_views
from bonescan.report.source import ReportSource

__all__ = ["annotated_pixels", "annotated_secondary_capture"]

_SERIES_NUMBER = 902


def annotated_pixels(source: ReportSource) -> NDArray[np.uint8]:
    """Return the annotated picture of :func:`~bonescan.report.figures.annotated_views` as RGB pixels."""
    return np.ascontiguousarray(np.asarray(annotated_views(source).convert("RGB"), dtype=np.uint8))


def _reference_item(reference: ImageReference) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = reference.sop_class_uid
    item.ReferencedSOPInstanceUID = reference.sop_instance_uid
    if reference.frame_numbers is not None:
        item.ReferencedFrameNumber = list(reference.frame_numbers)
    return item


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
    image = hd.sc.SCImage.from_ref_dataset(
        ref_dataset=identity.dataset,
        pixel_array=pixels,
        photometric_interpretation="RGB",
        bits_allocated=8,
        coordinate_system="PATIENT",
        series_instance_uid=hd.UID(),
        series_number=_SERIES_NUMBER,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer=MANUFACTURER,
        patient_orientation=("L", "F"),
        transfer_syntax_uid="1.2.840.10008.1.2.1",
        manufacturer_model_name=MANUFACTURER,
        software_versions=__version__,
        series_description="bonescan: annotated views",
        specific_character_set=identity.dataset.SpecificCharacterSet,
        institution_name=identity.institution_name,
    )
    # The picture shows the anterior and posterior views side by side, whose left-right directions
    # differ: no single Patient Orientation holds for it, so it is left empty (Type 2C).
    image.PatientOrientation = []
    image.BodyPartExamined = "WHOLEBODY"
    image.ConversionType = "WSD"
    image.ImageType = ["DERIVED", "SECONDARY", "ANNOTATED"]
    image.BurnedInAnnotation = "NO"  # view names and finding numbers only, nothing that identifies
    image.ImageComments = "Findings outlined in their label's colour and numbered as in the report"
    image.DerivationDescription = "Both views upright, anterior on the left, with the findings drawn on"
    image.SourceImageSequence = [_reference_item(reference) for reference in references]
    return image
