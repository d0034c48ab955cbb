"""Write the DICOM outputs of a result: all are made first, then written together or not at all."""

from __future__ import annotations

import logging
from pathlib import Path

import highdicom as hd
from pydicom.dataset import Dataset

from bonescan._files import output_folder, refuse_input_folder
from bonescan.errors import BonescanError
from bonescan.report.dicom.identity import output_identity, source_headers
from bonescan.report.dicom.sc import annotated_secondary_capture
from bonescan.report.dicom.seg import planned_segments, segmentation
from bonescan.report.dicom.sr import structured_report
from bonescan.report.dicom.views import ImageReference, image_reference, view_images
from bonescan.report.source import ReportSource
from bonescan.study import ViewName

__all__ = ["DICOM_FOLDER", "build_dicom_outputs", "write_dicom_outputs"]

logger = logging.getLogger(__name__)

#: The folder, inside a result folder, that holds the DICOM outputs.
DICOM_FOLDER = "dicom"


def _unique(datasets: list[Dataset]) -> list[Dataset]:
    by_uid = {str(dataset.SOPInstanceUID): dataset for dataset in datasets}
    return list(by_uid.values())


def build_dicom_outputs(source: ReportSource) -> dict[str, Dataset]:
    """Return every DICOM output by file name, without writing anything.

    ``sr.dcm`` (the Structured Report), ``sc.dcm`` (the annotated views), ``seg.dcm`` (the
    Segmentation; left out, with a warning, when there is neither a skeletal region nor a finding)
    and ``view-<view>.dcm`` (the derived image of each view). See ``docs/dicom-outputs.md`` for what
    each holds.

    Raises
    ------
    InputError
        When a DICOM input cannot be read again.
    BonescanError
        When an output cannot be made from this result.
    """
    headers = {} if source.anonymized else source_headers(source)
    identity = output_identity(source, headers)
    images = view_images(source, identity, headers)
    evidence: list[Dataset] = list(images.values())
    references: dict[ViewName, ImageReference] = {
        name: image_reference(image) for name, image in images.items()
    }
    if headers:
        references = {
            view.name: image_reference(headers[view.name], view.source.frame) for view in source.study.views
        }
        evidence += _unique(list(headers.values()))
    tracking_uids = {finding.number: str(hd.UID()) for finding in source.findings()}
    try:
        outputs: dict[str, Dataset] = {
            "sr.dcm": structured_report(source, identity, evidence, references, tracking_uids),
            "sc.dcm": annotated_secondary_capture(source, identity, list(references.values())),
        }
        segments = planned_segments(source, tracking_uids)
        if segments:
            outputs["seg.dcm"] = segmentation(source, dict(images), segments, identity.institution_name)
        else:
            logger.warning("no skeletal region and no finding to segment: seg.dcm is not written")
    except (KeyError, ValueError) as error:
        raise BonescanError(f"the DICOM outputs cannot be made from this result ({error})") from error
    for name, image in images.items():
        outputs[f"view-{name.value}.dcm"] = image
    return outputs


def write_dicom_outputs(source: ReportSource, folder: Path) -> list[Path]:
    """Write the DICOM outputs into ``folder/dicom`` (replacing what was there); return the files.

    Every output is made before anything is written, and the folder is filled beside its place and
    renamed into it, so that a failure leaves the previous outputs (or none) as they were.

    Parameters
    ----------
    source : ReportSource
        The result and its images.
    folder : Path
        The result folder; ``dicom/`` is made inside it.

    Raises
    ------
    InputError
        When a DICOM input cannot be read again.
    OutputError
        When ``folder`` does not exist or ``folder/dicom`` holds an input.
    BonescanError
        When an output cannot be made from this result.
    """
    target = Path(folder) / DICOM_FOLDER
    refuse_input_folder(target, source.study.sources)
    outputs = build_dicom_outputs(source)
    with output_folder(target, overwrite=True) as temporary:
        for name, dataset in outputs.items():
            dataset.save_as(temporary / name, enforce_file_format=True)
    written = [target / name for name in outputs]
    logger.info("wrote %d DICOM files into %s", len(written), target)
    return written
