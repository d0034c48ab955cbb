"""Write a :class:`~bonescan.study.Study` as a DICOM NM Image Storage file.

The file is what a dual-head gamma camera writes for a whole-body sweep: one multi-frame instance with
one frame per view, frame *i* acquired by detector *i* (anterior first), each detector's projection
coded in View Code Sequence (0054,0220). Counts are stored as 16-bit unsigned integers. bonescan's own
reader loads these files and dicom3tools' ``dciodvfy`` reports no errors on them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.sr.coding import Code
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from bonescan._files import write_atomically
from bonescan._version import __version__
from bonescan.errors import OutputError
from bonescan.io.codes import (
    TECHNETIUM_99M,
    NuclearMedicineProjection,
    PatientOrientation,
    Radiopharmaceutical,
)
from bonescan.study import Study, View

__all__ = ["NM_IMAGE_STORAGE", "write_nm_image"]

logger = logging.getLogger(__name__)

NM_IMAGE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.20")
_IMPLEMENTATION_UID = UID("1.2.826.0.1.3680043.8.498.1")  # pydicom's root, as pydicom suggests
_UINT16_MAX = 65535


def write_nm_image(
    study: Study,
    path: str | Path,
    *,
    views: Sequence[View] | None = None,
    include_identity: bool = True,
    transfer_syntax: str = ExplicitVRLittleEndian,
    overwrite: bool = False,
    uid_seed: str | None = None,
) -> Path:
    """Write the views of ``study`` to ``path`` as one NM Image Storage instance.

    Parameters
    ----------
    study : Study
        The study to write; its views must be counts, not display values.
    path : str or Path
        The file to create.
    views : sequence of View, optional
        Which views to write (default: all of them, anterior first).
    include_identity : bool
        Write the patient's name, ID and birth date; when False those attributes are left empty.
    transfer_syntax : str
        The transfer syntax UID; a compressed one (RLE Lossless, JPEG-LS Lossless, JPEG 2000
        Lossless, ...) encodes the pixel data with pydicom's encoders.
    overwrite : bool
        Replace an existing file; by default an existing file is an error.
    uid_seed : str, optional
        Derive every UID the writer makes up from this text, so that the same study and seed give
        the same bytes (the simulator's reproducibility); by default UIDs are random.

    Returns
    -------
    Path
        The file written.
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise OutputError(f"{target}: exists already; choose another name or remove it first")
    chosen = tuple(views) if views is not None else study.views
    dataset = build_nm_dataset(study, chosen, include_identity=include_identity, uid_seed=uid_seed)
    if UID(transfer_syntax).is_compressed:
        dataset.compress(UID(transfer_syntax))
    write_atomically(target, lambda handle: dataset.save_as(handle, enforce_file_format=True))
    logger.info("wrote %s (%d frame(s))", target, len(chosen))
    return target


def build_nm_dataset(
    study: Study,
    views: Sequence[View],
    *,
    include_identity: bool = True,
    uid_seed: str | None = None,
) -> Dataset:
    """Return the NM Image Storage dataset for ``views`` of ``study``, without writing it."""

    def new_uid(purpose: str) -> UID:
        if uid_seed is None:
            return generate_uid()
        return generate_uid(entropy_srcs=[uid_seed, purpose])

    if not views:
        raise ValueError("write at least one view")
    shapes = {view.shape for view in views}
    if len(shapes) != 1:
        raise ValueError(f"all frames of one NM image share a size, got {sorted(shapes)}")
    dataset = Dataset()
    _add_patient_and_study(dataset, study, include_identity, new_uid("study"))
    _add_series_and_equipment(dataset, study, new_uid("series"), new_uid("frame-of-reference"))
    _add_image(dataset, study, views, new_uid("instance"))
    _add_nm_modules(dataset, study, views)
    dataset.file_meta = _file_meta(dataset.SOPInstanceUID)
    return dataset


def _file_meta(sop_instance_uid: UID) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = NM_IMAGE_STORAGE
    meta.MediaStorageSOPInstanceUID = sop_instance_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = _IMPLEMENTATION_UID
    meta.ImplementationVersionName = f"BONESCAN_{__version__}"[:16]
    return meta


def _da(value: date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


def _tm(value: datetime | None) -> str:
    return value.strftime("%H%M%S") if value else ""


def _dt(value: datetime | None) -> str:
    return value.strftime("%Y%m%d%H%M%S") if value else ""


def _add_patient_and_study(dataset: Dataset, study: Study, include_identity: bool, study_uid: UID) -> None:
    meta, identity, patient = study.metadata, study.identity, study.metadata.patient
    dataset.SpecificCharacterSet = "ISO_IR 192"
    dataset.PatientName = (identity.name or "") if include_identity else ""
    dataset.PatientID = (identity.patient_id or "") if include_identity else ""
    dataset.PatientBirthDate = _da(identity.birth_date) if include_identity else ""
    dataset.PatientSex = patient.sex or ""
    if patient.age_years is not None:
        dataset.PatientAge = f"{int(patient.age_years):03d}Y"
    if patient.height_cm is not None:
        dataset.PatientSize = f"{patient.height_cm / 100:.2f}"
    if patient.weight_kg is not None:
        dataset.PatientWeight = f"{patient.weight_kg:.1f}"
    dataset.StudyInstanceUID = meta.study_instance_uid or study_uid
    study_day = meta.study_date or (meta.acquisition_time.date() if meta.acquisition_time else None)
    dataset.StudyDate = _da(study_day)
    dataset.StudyTime = _tm(meta.acquisition_time)
    dataset.ReferringPhysicianName = (identity.referring_physician or "") if include_identity else ""
    dataset.StudyID = "1"
    dataset.AccessionNumber = (identity.accession_number or "") if include_identity else ""
    dataset.StudyDescription = meta.study_description or "Whole Body Bone Scan"


def _add_series_and_equipment(
    dataset: Dataset, study: Study, series_uid: UID, frame_of_reference_uid: UID
) -> None:
    meta, camera = study.metadata, study.metadata.camera
    dataset.Modality = "NM"
    dataset.SeriesInstanceUID = meta.series_instance_uids[0] if meta.series_instance_uids else series_uid
    dataset.SeriesNumber = 1
    dataset.SeriesDate = _da(meta.acquisition_time)
    dataset.SeriesTime = _tm(meta.acquisition_time)
    dataset.SeriesDescription = "WB ANT/POST"
    dataset.BodyPartExamined = "WHOLEBODY"
    dataset.FrameOfReferenceUID = frame_of_reference_uid
    dataset.PositionReferenceIndicator = ""
    dataset.Manufacturer = camera.manufacturer or "bonescan"
    dataset.ManufacturerModelName = camera.model or "bonescan"
    if camera.station_name:
        dataset.StationName = camera.station_name
    dataset.SoftwareVersions = camera.software_versions or f"bonescan {__version__}"
    if study.identity.institution_name:
        dataset.InstitutionName = study.identity.institution_name


def _add_image(dataset: Dataset, study: Study, views: Sequence[View], instance_uid: UID) -> None:
    meta = study.metadata
    dataset.SOPClassUID = NM_IMAGE_STORAGE
    dataset.SOPInstanceUID = instance_uid
    dataset.InstanceNumber = 1
    dataset.ImageType = ["ORIGINAL", "PRIMARY", "WHOLE BODY", "EMISSION"]
    dataset.PatientOrientation = ""
    dataset.ContentDate = _da(meta.acquisition_time)
    dataset.ContentTime = _tm(meta.acquisition_time)
    dataset.AcquisitionDate = _da(meta.acquisition_time)
    dataset.AcquisitionTime = _tm(meta.acquisition_time)
    rows, columns = views[0].shape
    stored = np.stack([_stored_counts(view) for view in views])
    dataset.SamplesPerPixel = 1
    dataset.PhotometricInterpretation = "MONOCHROME2"
    dataset.Rows, dataset.Columns = rows, columns
    dataset.BitsAllocated = 16
    dataset.BitsStored = 16
    dataset.HighBit = 15
    dataset.PixelRepresentation = 0
    dataset.PixelSpacing = [f"{spacing:.4f}" for spacing in views[0].pixel_spacing_mm]
    dataset.NumberOfFrames = len(views)
    dataset.FrameIncrementPointer = [0x00540010, 0x00540020]
    dataset.CountsAccumulated = int(stored.sum(dtype=np.int64))
    dataset.ActualFrameDuration = 1_200_000
    dataset.PixelData = stored.tobytes()


def _stored_counts(view: View) -> np.ndarray:
    """Return the view's pixels as stored: turned back to the stored grid, as uint16."""
    pixels = view.orientation.apply(np.asarray(view.counts))  # the flips are their own inverse
    if pixels.min() < 0 or pixels.max() > _UINT16_MAX:
        raise ValueError("counts must lie in 0..65535 to be written as 16-bit unsigned pixels")
    rounded = np.rint(pixels)
    if not np.array_equal(rounded, pixels):
        raise ValueError("counts must be whole numbers to be written as an NM image")
    return rounded.astype("<u2")


def _code_item(code: Code) -> Dataset:
    item = Dataset()
    item.CodeValue = code.value
    item.CodingSchemeDesignator = code.scheme_designator
    item.CodeMeaning = code.meaning
    return item


def _add_nm_modules(dataset: Dataset, study: Study, views: Sequence[View]) -> None:
    meta = study.metadata
    dataset.EnergyWindowVector = [1] * len(views)
    dataset.NumberOfEnergyWindows = 1
    dataset.DetectorVector = list(range(1, len(views) + 1))
    dataset.NumberOfDetectors = len(views)
    dataset.ImageID = "WHOLE BODY"
    window = Dataset()
    window_range = Dataset()
    window_range.EnergyWindowLowerLimit = "126"
    window_range.EnergyWindowUpperLimit = "154"
    window.EnergyWindowRangeSequence = DicomSequence([window_range])
    window.EnergyWindowName = "Tc99m"
    dataset.EnergyWindowInformationSequence = DicomSequence([window])
    dataset.RadiopharmaceuticalInformationSequence = DicomSequence([_radiopharmaceutical(study)])
    detectors = []
    for view in views:
        detector = Dataset()
        detector.CollimatorType = "PARA"
        detector.CollimatorGridName = "LEHR"
        detector.ImageOrientationPatient = None  # Type 2, unknown for a planar sweep
        detector.ImagePositionPatient = None
        detector.ViewCodeSequence = DicomSequence(
            [_code_item(NuclearMedicineProjection.for_view(view.name).value)]
        )
        detector.ViewCodeSequence[0].ViewModifierCodeSequence = DicomSequence([])
        detectors.append(detector)
    dataset.DetectorInformationSequence = DicomSequence(detectors)
    orientation = _code_item(PatientOrientation.RECUMBENT.value)
    orientation.PatientOrientationModifierCodeSequence = DicomSequence(
        [_code_item(PatientOrientation.SUPINE.value)]
    )
    dataset.PatientOrientationCodeSequence = DicomSequence([orientation])
    dataset.PatientGantryRelationshipCodeSequence = DicomSequence(
        [_code_item(PatientOrientation.HEADFIRST.value)]
    )
    dataset.ScanVelocity = "15"
    dataset.WholeBodyTechnique = ["1PS", "2PS"] if len(views) > 1 else "1PS"
    rows = views[0].shape[0]
    dataset.ScanLength = round(rows * views[0].pixel_spacing_mm[0])
    if meta.acquisition_time is not None:
        dataset.AcquisitionDateTime = _dt(meta.acquisition_time)


def _radiopharmaceutical(study: Study) -> Dataset:
    meta = study.metadata
    item = Dataset()
    name = meta.radiopharmaceutical or ""
    item.Radiopharmaceutical = name
    item.RadionuclideCodeSequence = DicomSequence([_code_item(TECHNETIUM_99M)])
    tracer = Radiopharmaceutical.HDP if "HDP" in name.upper() else Radiopharmaceutical.MDP
    if name:
        item.RadiopharmaceuticalCodeSequence = DicomSequence([_code_item(tracer.value)])
    if meta.injection_time is not None:
        item.RadiopharmaceuticalStartDateTime = _dt(meta.injection_time)
        item.RadiopharmaceuticalStartTime = _tm(meta.injection_time)
    if meta.injected_activity_mbq is not None:
        item.RadionuclideTotalDose = f"{meta.injected_activity_mbq:.1f}"
    return item
