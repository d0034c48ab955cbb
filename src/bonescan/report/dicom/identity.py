"""Who and which study the DICOM outputs belong to: the patient and study attributes they all carry.

Every output carries the same Patient and General Study attributes, made once here as a small
dataset (the *identity*) that the derived images copy and the other objects copy from them:

* For DICOM input that is not anonymized they are the source's, read from the header of the first
  view's file (patient name, ID, birth date, sex, age, study instance UID, study date and time,
  study ID, accession number, referring physician, study description), so that a PACS files the
  outputs with the study they describe.
* For raster input (a PNG pair) they come from what bonescan knows (:class:`~bonescan.study.Study`);
  the study gets a new Study Instance UID.
* When the source is anonymized, the name, ID, birth date, accession number, study ID, referring
  physician and institution are left empty or out, the study gets a new Study Instance UID, and the
  study time is left out; the sex, the age and the study date stay, as they do in every anonymized
  output of bonescan (:class:`~bonescan.study.StudyMetadata` holds them, apart from the identity).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import highdicom as hd
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from bonescan.errors import InputError
from bonescan.report.source import ReportSource
from bonescan.study import ViewName

__all__ = ["CHARACTER_SET", "OutputIdentity", "output_identity", "person_name", "source_headers"]

#: Every output is written in UTF-8, whatever the source's character set (pydicom decodes it).
CHARACTER_SET = "ISO_IR 192"

#: The attributes copied verbatim from a DICOM source's header when the outputs are not anonymized.
_COPIED = (
    "PatientName",
    "PatientID",
    "IssuerOfPatientID",
    "PatientBirthDate",
    "PatientSex",
    "PatientAge",
    "StudyInstanceUID",
    "StudyDate",
    "StudyTime",
    "StudyID",
    "AccessionNumber",
    "ReferringPhysicianName",
    "StudyDescription",
)
_TYPE_2 = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyDate",
    "StudyTime",
    "StudyID",
    "AccessionNumber",
    "ReferringPhysicianName",
)


@dataclass(frozen=True)
class OutputIdentity:
    """The patient and study attributes of the outputs, and the institution they name.

    Attributes
    ----------
    dataset : Dataset
        Patient and General Study module attributes (and the character set), to be copied.
    institution_name : str or None
        The institution of the source, written in the equipment attributes; None when anonymized.
    """

    dataset: Dataset
    institution_name: str | None

    @property
    def study_instance_uid(self) -> str:
        """The Study Instance UID every output carries."""
        return str(self.dataset.StudyInstanceUID)


def person_name(text: str) -> str:
    """Return free text as a DICOM person name: a name without ``^`` becomes a family name only."""
    return text if "^" in text or not text else f"{text}^"


def source_headers(source: ReportSource) -> dict[ViewName, Dataset]:
    """Return each view's DICOM header (no pixels), or nothing when the input is not DICOM.

    Raises
    ------
    InputError
        When a DICOM input cannot be read again.
    """
    if any(view.source.sop_instance_uid is None for view in source.study.views):
        return {}
    headers: dict[Path, Dataset] = {}
    for path in source.study.sources:
        try:
            headers[path] = dcmread(path, stop_before_pixels=True)
        except (OSError, InvalidDicomError) as error:
            raise InputError(path, f"cannot be read again as DICOM ({error}); check the input") from None
    return {view.name: headers[view.source.path] for view in source.study.views}


def output_identity(source: ReportSource, headers: dict[ViewName, Dataset]) -> OutputIdentity:
    """Return the identity every output carries (see the module text)."""
    if source.anonymized:
        return OutputIdentity(_anonymized(source), None)
    if headers:
        header = headers[source.study.views[0].name]
        institution = str(header.get("InstitutionName", "") or "").strip() or None
        return OutputIdentity(_from_header(header), institution)
    return OutputIdentity(_from_study(source), source.study.identity.institution_name)


def _empty_identity() -> Dataset:
    dataset = Dataset()
    dataset.SpecificCharacterSet = CHARACTER_SET
    for keyword in _TYPE_2:
        setattr(dataset, keyword, "")
    return dataset


def _from_header(header: Dataset) -> Dataset:
    dataset = _empty_identity()
    for keyword in _COPIED:
        value = header.get(keyword)
        if value not in (None, ""):
            setattr(dataset, keyword, value)
    if "StudyInstanceUID" not in dataset:
        dataset.StudyInstanceUID = hd.UID()
    return dataset


def _common(source: ReportSource, dataset: Dataset) -> None:
    meta = source.study.metadata
    dataset.PatientSex = meta.patient.sex or ""
    if meta.patient.age_years is not None:
        dataset.PatientAge = f"{int(meta.patient.age_years):03d}Y"
    dataset.StudyDate = meta.study_date.strftime("%Y%m%d") if meta.study_date else ""
    dataset.StudyDescription = meta.study_description or "Whole body bone scan"


def _from_study(source: ReportSource) -> Dataset:
    identity, meta = source.study.identity, source.study.metadata
    dataset = _empty_identity()
    _common(source, dataset)
    dataset.PatientName = person_name(identity.name or "")
    dataset.PatientID = identity.patient_id or ""
    dataset.PatientBirthDate = identity.birth_date.strftime("%Y%m%d") if identity.birth_date else ""
    dataset.AccessionNumber = identity.accession_number or ""
    dataset.ReferringPhysicianName = person_name(identity.referring_physician or "")
    dataset.StudyTime = meta.acquisition_time.strftime("%H%M%S") if meta.acquisition_time else ""
    dataset.StudyInstanceUID = meta.study_instance_uid or hd.UID()
    return dataset


def _anonymized(source: ReportSource) -> Dataset:
    dataset = _empty_identity()
    _common(source, dataset)
    dataset.StudyInstanceUID = hd.UID()
    return dataset
