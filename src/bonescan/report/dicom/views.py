"""The derived single-frame image of each view, that the segmentation (and at times the report) refer to.

highdicom cannot derive a Segmentation from a legacy multi-frame NM image, and an anonymized report
must not name the source's UIDs, so bonescan writes each view as an image of its own: a Secondary
Capture Image (SOP Class 1.2.840.10008.5.1.4.1.1.7) with Modality NM, 16-bit MONOCHROME2, holding the
view's pixel values in the grid *as stored in the input* (a head-down acquisition stays head-down),
with the pixel spacing, the patient orientation of that grid, a window that shows the skeleton, and,
for DICOM input that is not anonymized, a Source Image Sequence naming the input instance and frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import highdicom as hd
import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from bonescan._version import __version__
from bonescan.io.nm_writer import NM_IMAGE_STORAGE
from bonescan.report.dicom.identity import OutputIdentity
from bonescan.report.source import ReportSource
from bonescan.study import ImageSide, View, ViewName

__all__ = [
    "MANUFACTURER",
    "ImageReference",
    "image_reference",
    "secondary_capture",
    "stored_orientation",
    "view_images",
]

MANUFACTURER = "bonescan"
_UINT16_MAX = 65535
_VIEW_SERIES_NUMBER = 901


@dataclass(frozen=True)
class ImageReference:
    """An image (and frame) that a report or segmentation points at."""

    sop_class_uid: str
    sop_instance_uid: str
    frame_numbers: tuple[int, ...] | None = None

    def source_item(self) -> Dataset:
        """Return it as an item of a Source Image Sequence."""
        item = Dataset()
        item.ReferencedSOPClassUID = self.sop_class_uid
        item.ReferencedSOPInstanceUID = self.sop_instance_uid
        if self.frame_numbers is not None:
            item.ReferencedFrameNumber = list(self.frame_numbers)
        return item


def image_reference(dataset: Dataset, frame: int | None = None) -> ImageReference:
    """Return a reference to ``dataset``, and to its 0-based ``frame`` when it is a multi-frame image.

    An NM image is multi-frame by definition (its IOD holds the Multi-frame Module), so its frame is
    always named; any other image only when it holds more than one frame (a single-frame Secondary
    Capture that carries Number of Frames 1 is referenced without a frame number).
    """
    sop_class = str(dataset.SOPClassUID)
    multi_frame = sop_class == NM_IMAGE_STORAGE or int(dataset.get("NumberOfFrames", 1) or 1) > 1
    frames = (frame + 1,) if multi_frame and frame is not None else None
    return ImageReference(sop_class, str(dataset.SOPInstanceUID), frames)


def stored_orientation(view: View) -> tuple[str, str]:
    """Return Patient Orientation (0020,0020) of the view's stored grid: (along a row, down a column)."""
    left_on_image_right = view.patient_left is ImageSide.RIGHT
    if view.orientation.flip_columns:
        left_on_image_right = not left_on_image_right
    return ("L" if left_on_image_right else "R", "H" if view.orientation.flip_rows else "F")


def stored_pixels(view: View) -> NDArray[np.uint16]:
    """Return the view's pixel values in the stored grid, rounded to 16-bit unsigned integers."""
    stored = view.orientation.apply(np.asarray(view.counts, dtype=np.float64))
    return np.clip(np.rint(stored), 0, _UINT16_MAX).astype(np.uint16)


def _window(pixels: NDArray[np.uint16]) -> tuple[float, float]:
    """Return a window (centre, width) that shows the skeleton: 0 to the 99.5th percentile of the body."""
    body = pixels[pixels > 0]
    top = float(np.percentile(body, 99.5)) if body.size else 1.0
    top = max(top, 1.0)
    return top / 2.0, top


def _source_item(header: Dataset, frame: int) -> Dataset:
    item = image_reference(header, frame).source_item()
    purpose = hd.sr.CodedConcept.from_code(codes.DCM.SourceImageForImageProcessingOperation)
    item.PurposeOfReferenceCodeSequence = [purpose]
    return item


def secondary_capture(
    identity: OutputIdentity,
    pixels: NDArray[np.uint8] | NDArray[np.uint16],
    *,
    series_uid: str,
    series_number: int,
    instance_number: int,
    series_description: str,
    **image: Any,
) -> hd.sc.SCImage:
    """Return a new bonescan Secondary Capture image carrying ``identity`` (a new SOP instance UID).

    ``image`` holds the arguments of :meth:`highdicom.sc.SCImage.from_ref_dataset` that differ between
    bonescan's images (photometric interpretation, bits allocated, spacing, orientation).
    """
    result = hd.sc.SCImage.from_ref_dataset(
        ref_dataset=identity.dataset,
        pixel_array=pixels,
        coordinate_system="PATIENT",
        series_instance_uid=series_uid,
        series_number=series_number,
        sop_instance_uid=hd.UID(),
        instance_number=instance_number,
        manufacturer=MANUFACTURER,
        transfer_syntax_uid="1.2.840.10008.1.2.1",
        manufacturer_model_name=MANUFACTURER,
        software_versions=__version__,
        series_description=series_description,
        specific_character_set=identity.dataset.SpecificCharacterSet,
        institution_name=identity.institution_name,
        **image,
    )
    result.BodyPartExamined = "WHOLEBODY"
    result.ConversionType = "WSD"
    result.BurnedInAnnotation = "NO"  # at most view names and finding numbers, nothing that identifies
    return result


def _view_image(
    view: View, number: int, series_uid: str, identity: OutputIdentity, header: Dataset | None
) -> hd.sc.SCImage:
    pixels = stored_pixels(view)
    image = secondary_capture(
        identity,
        pixels,
        series_uid=series_uid,
        series_number=_VIEW_SERIES_NUMBER,
        instance_number=number,
        series_description="bonescan: views as stored",
        photometric_interpretation="MONOCHROME2",
        bits_allocated=16,
        pixel_spacing=view.pixel_spacing_mm,
        patient_orientation=stored_orientation(view),
    )
    image.Modality = "NM"
    image.ImageType = ["DERIVED", "SECONDARY", "WHOLE BODY"]
    image.ImageComments = f"{view.name.value} view"
    image.DerivationDescription = (
        f"The {view.name.value} view of the input in its stored pixel grid, written by bonescan "
        "for the segmentation and report to refer to"
    )
    centre, width = _window(pixels)
    image.WindowCenter, image.WindowWidth = f"{centre:.1f}", f"{width:.1f}"
    if header is not None:
        image.SourceImageSequence = [_source_item(header, view.source.frame)]
    return image


def view_images(
    source: ReportSource, identity: OutputIdentity, headers: dict[ViewName, Dataset]
) -> dict[ViewName, hd.sc.SCImage]:
    """Return the derived single-frame image of each view, in one new series, anterior first.

    Parameters
    ----------
    source : ReportSource
        The result and its images.
    identity : OutputIdentity
        The patient and study attributes to carry.
    headers : dict of ViewName to Dataset
        The source headers (empty for raster input); ignored when the source is anonymized.
    """
    series_uid = hd.UID()
    return {
        view.name: _view_image(
            view, number, series_uid, identity, None if source.anonymized else headers.get(view.name)
        )
        for number, view in enumerate(source.study.views, start=1)
    }
