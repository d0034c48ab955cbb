"""The Segmentation of the skeletal regions and the findings, on the derived view images.

Segments, in this order:

1. one per bone region present in a view's label map (:mod:`bonescan.regions`), coded as an
   anatomical structure with its side and part as modifiers;
2. one per finding, coded by its label, with its region as the anatomic region, and the finding's
   number and tracking UID, the same as in the Structured Report, so that a viewer can link the two.

Masks are in each view's stored grid. A finding's mask is its outline polygon (``result.json``)
rasterised: a pixel belongs to it when its centre lies inside the polygon, which, as the polygon runs
half a pixel outside the spot's outer pixels, gives back the spot's pixels (with any hole filled; a
spot in several pieces is outlined, and so segmented, by its largest piece).

The segmentation is BINARY (segments overlap: a finding lies on a bone) and omits empty frames.
The derived view images have no Frame of Reference, and highdicom builds a segmentation of such
images for one image only; the standard allows more (a receiver matches frames to images through each
frame's Derivation Image Sequence). So the segmentation of each view is built by highdicom and the
frames of the further views are then appended: their per-frame functional groups (which name the
view image each frame belongs to) and pixels, the view images in the Common Instance Reference and
Source Image Sequence, and a second dimension, Stack ID (one stack per view), so that each frame's
dimension index values stay unique.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import highdicom as hd
import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.pixels.utils import pack_bits, unpack_bits
from pydicom.tag import Tag
from skimage.draw import polygon2mask

from bonescan._version import __version__
from bonescan.regions import RegionKind, region_by_label
from bonescan.report.dicom.codes import (
    ALGORITHM_FAMILY_AI,
    ALGORITHM_FAMILY_ANALYTICAL,
    CATEGORY_ANATOMY,
    coding_scheme_identification,
    label_code,
    region_code,
)
from bonescan.report.dicom.views import MANUFACTURER
from bonescan.report.figures import label_colour
from bonescan.report.source import ReportFinding, ReportSource
from bonescan.study import ViewName

__all__ = ["Segment", "finding_mask", "planned_segments", "segmentation"]

_SERIES_NUMBER = 903
_FRAME_CONTENT = Tag("FrameContentSequence")
_STACK_ID = Tag("StackID")


@dataclass(frozen=True)
class Segment:
    """One segment: its description and its mask in each view's stored grid."""

    description: hd.seg.SegmentDescription
    masks: dict[ViewName, NDArray[np.bool_]]


def finding_mask(entry: dict[str, object], shape: tuple[int, int]) -> NDArray[np.bool_]:
    """Return a hotspot entry's outline rasterised in its view's stored grid (pixel centres inside)."""
    outline = np.asarray(entry["outline"], dtype=np.float64).reshape(-1, 2)
    return np.asarray(polygon2mask(shape, outline), dtype=np.bool_)  # type: ignore[no-untyped-call]


def _modifiers(name: str) -> list[Dataset]:
    """Return copies of a region's side and part codes (the shared codes must not be changed)."""
    code = region_code(name)
    return [copy.deepcopy(item) for item in (code.laterality, code.modifier) if item is not None]


def _with_modifiers(
    description: hd.seg.SegmentDescription, name: str, sequence: str, modifier_sequence: str
) -> None:
    """Add a region's side and part as modifiers to the code in ``sequence`` of the description."""
    modifiers = _modifiers(name)
    if modifiers:
        item = copy.deepcopy(getattr(description, sequence)[0])
        setattr(item, modifier_sequence, modifiers)
        setattr(description, sequence, [item])


def _anatomy_algorithm(source: ReportSource) -> hd.AlgorithmIdentificationSequence:
    method = str(source.document.get("anatomy", {}).get("method", "bonescan anatomy"))
    learned = "u-net" in method.lower() or "unet" in method.lower()
    family = ALGORITHM_FAMILY_AI if learned else ALGORITHM_FAMILY_ANALYTICAL
    return hd.AlgorithmIdentificationSequence(name=method[:64], family=family, version=__version__)


def _finding_algorithm() -> hd.AlgorithmIdentificationSequence:
    return hd.AlgorithmIdentificationSequence(
        name="bonescan hotspot detection and classification", family=ALGORITHM_FAMILY_AI, version=__version__
    )


def _bone_segments(source: ReportSource, start: int) -> list[Segment]:
    stored = {
        view.name: view.orientation.apply(source.labels[view.name])
        for view in source.study.views
        if view.name in source.labels
    }
    present = sorted({int(value) for labels in stored.values() for value in np.unique(labels)})
    bones = [region_by_label(value) for value in present if region_by_label(value).kind is RegionKind.BONE]
    algorithm = _anatomy_algorithm(source)
    segments = []
    for number, bone in enumerate(bones, start=start):
        description = hd.seg.SegmentDescription(
            segment_number=number,
            segment_label=bone.name,
            segmented_property_category=CATEGORY_ANATOMY,
            segmented_property_type=region_code(bone.name).location,
            algorithm_type="AUTOMATIC",
            algorithm_identification=algorithm,
            tracking_id=bone.name,
            tracking_uid=hd.UID(),
        )
        _with_modifiers(
            description,
            bone.name,
            "SegmentedPropertyTypeCodeSequence",
            "SegmentedPropertyTypeModifierCodeSequence",
        )
        masks = {
            view.name: stored[view.name] == bone.label
            if view.name in stored
            else np.zeros(view.shape, dtype=np.bool_)
            for view in source.study.views
        }
        segments.append(Segment(description, masks))
    return segments


def _finding_segment(source: ReportSource, finding: ReportFinding, number: int, tracking_uid: str) -> Segment:
    code = label_code(finding.label)
    description = hd.seg.SegmentDescription(
        segment_number=number,
        segment_label=f"finding {finding.number}: {finding.label}"[:64],
        segmented_property_category=code.category,
        segmented_property_type=code.code,
        algorithm_type="AUTOMATIC",
        algorithm_identification=_finding_algorithm(),
        tracking_id=f"finding {finding.number}",
        tracking_uid=tracking_uid,
        anatomic_regions=[region_code(finding.region).location],
        display_color=hd.color.CIELabColor.from_rgb(*label_colour(finding.label)),
    )
    _with_modifiers(description, finding.region, "AnatomicRegionSequence", "AnatomicRegionModifierSequence")
    masks = {}
    for view in source.study.views:
        entry = finding.spots.get(view.name)
        masks[view.name] = (
            finding_mask(entry, view.shape) if entry is not None else np.zeros(view.shape, dtype=np.bool_)
        )
    return Segment(description, masks)


def planned_segments(source: ReportSource, tracking_uids: dict[int, str]) -> list[Segment]:
    """Return the segments, numbered from 1: the bone regions present, then one per finding.

    Parameters
    ----------
    source : ReportSource
        The result and its images.
    tracking_uids : dict of int to str
        The tracking UID of each finding (by number), shared with the Structured Report.
    """
    segments = _bone_segments(source, start=1)
    for finding in source.findings():
        segments.append(_finding_segment(source, finding, len(segments) + 1, tracking_uids[finding.number]))
    return segments


def _view_segmentation(
    image: Dataset,
    view: ViewName,
    segments: list[Segment],
    uids: tuple[str, str],
    institution_name: str | None,
) -> hd.seg.Segmentation:
    stack = np.stack([segment.masks[view] for segment in segments], axis=-1)[np.newaxis]
    return hd.seg.Segmentation(
        source_images=[image],
        pixel_array=stack,
        segmentation_type="BINARY",
        segment_descriptions=[segment.description for segment in segments],
        series_instance_uid=uids[0],
        series_number=_SERIES_NUMBER,
        sop_instance_uid=uids[1],
        instance_number=1,
        manufacturer=MANUFACTURER,
        manufacturer_model_name=MANUFACTURER,
        software_versions=__version__,
        device_serial_number=__version__,
        content_label="BONESCAN",
        content_description="Skeletal regions and findings of bonescan",
        omit_empty_frames=True,
        coding_schemes=[coding_scheme_identification()],
        series_description="bonescan: regions and findings",
        institution_name=institution_name,
    )


def _frames(segmentation: Dataset) -> NDArray[np.uint8]:
    count, rows, columns = int(segmentation.NumberOfFrames), int(segmentation.Rows), int(segmentation.Columns)
    bits = np.asarray(unpack_bits(segmentation.PixelData), dtype=np.uint8)
    return bits[: count * rows * columns].reshape(count, rows, columns)


def _add_stack_dimension(segmentation: Dataset) -> None:
    """Add Stack ID as the first dimension, so that frames of different views are told apart."""
    first = segmentation.DimensionIndexSequence[0]
    stack = Dataset()
    stack.DimensionOrganizationUID = first.DimensionOrganizationUID
    stack.DimensionIndexPointer = _STACK_ID
    stack.FunctionalGroupPointer = _FRAME_CONTENT
    stack.DimensionDescriptionLabel = "Stack ID (one stack per view)"
    segmentation.DimensionIndexSequence.insert(0, stack)


def _set_stack(frames: list[Dataset], number: int) -> None:
    for frame in frames:
        content = frame.FrameContentSequence[0]
        content.StackID = str(number)
        content.InStackPositionNumber = 1
        content.DimensionIndexValues = [number, *np.atleast_1d(content.DimensionIndexValues).tolist()]


def _combine(parts: list[hd.seg.Segmentation]) -> hd.seg.Segmentation:
    """Return the first view's segmentation with the frames of the others appended (see module text)."""
    combined = parts[0]
    if len(parts) == 1:
        return combined
    _add_stack_dimension(combined)
    _set_stack(list(combined.PerFrameFunctionalGroupsSequence), 1)
    pixels = [_frames(combined)]
    for stack, part in enumerate(parts[1:], start=2):
        _set_stack(list(part.PerFrameFunctionalGroupsSequence), stack)
        combined.PerFrameFunctionalGroupsSequence.extend(part.PerFrameFunctionalGroupsSequence)
        combined.ReferencedSeriesSequence[0].ReferencedInstanceSequence.extend(
            part.ReferencedSeriesSequence[0].ReferencedInstanceSequence
        )
        combined.SourceImageSequence.extend(part.SourceImageSequence)
        pixels.append(_frames(part))
    frames = np.concatenate(pixels)
    combined.NumberOfFrames = len(frames)
    combined.PixelData = pack_bits(frames.ravel())
    return combined


def segmentation(
    source: ReportSource,
    images: dict[ViewName, Dataset],
    segments: list[Segment],
    institution_name: str | None = None,
) -> hd.seg.Segmentation:
    """Return the Segmentation of ``segments`` on the derived view ``images`` (see the module text).

    Parameters
    ----------
    source : ReportSource
        The result and its images.
    images : dict of ViewName to Dataset
        The derived image of each view (:func:`~bonescan.report.dicom.views.view_images`).
    segments : list of Segment
        The segments (:func:`planned_segments`).
    institution_name : str, optional
        The institution to name (None when anonymized).
    """
    uids = (str(hd.UID()), str(hd.UID()))
    parts = [
        _view_segmentation(images[view.name], view.name, segments, uids, institution_name)
        for view in source.study.views
    ]
    combined = _combine(parts)
    # Without a Frame of Reference the Pixel Measures functional group is optional, and highdicom's
    # own reader refuses the one its writer makes here (Pixel Spacing without Slice Thickness, which is
    # only required with a Frame of Reference); the view images carry the pixel spacing.
    del combined.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence
    orientations = {str(images[view.name].PatientOrientation) for view in source.study.views}
    # Patient Orientation (Type 2C) of the frames: the views' own when they share one, else empty.
    combined.PatientOrientation = (
        images[source.study.views[0].name].PatientOrientation if len(orientations) == 1 else ""
    )
    return combined
