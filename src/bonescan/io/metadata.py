"""Read the metadata reading needs, and the identifying data kept apart, from DICOM attributes."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone

from pydicom.dataset import Dataset

from bonescan.study import Camera, PatientIdentity, PatientInfo, StudyMetadata

__all__ = ["acquisition_time", "extract_identity", "extract_metadata"]

logger = logging.getLogger(__name__)

_AGE = re.compile(r"^(\d{1,3})([DWMY])$")
_DAYS_PER_UNIT = {"D": 1.0, "W": 7.0, "M": 30.4375, "Y": 365.25}


def _text(dataset: Dataset, keyword: str) -> str | None:
    value = dataset.get(keyword)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _positive(dataset: Dataset, keyword: str) -> float | None:
    value = dataset.get(keyword)
    try:
        number = float(value) if value not in (None, "") else 0.0
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def parse_da(value: object) -> date | None:
    """Parse a DICOM DA value (YYYYMMDD); None when absent or not a real date."""
    text = str(value or "").strip().replace(".", "")
    try:
        return datetime.strptime(text[:8], "%Y%m%d").date()
    except ValueError:
        return None


def _parse_tm(text: str) -> tuple[int, int, int, int] | None:
    digits = text.strip().replace(":", "")
    match = re.fullmatch(r"(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?", digits)
    if not match:
        return None
    hour, minute, second = (int(group or 0) for group in match.groups()[:3])
    micro = int((match.group(4) or "0").ljust(6, "0"))
    if hour > 23 or minute > 59 or second > 60:
        return None
    return hour, minute, min(second, 59), micro


def combine(day: object, time: object, offset: str | None = None) -> datetime | None:
    """Combine DICOM DA and TM values into a datetime, in the file's time zone when it says one."""
    parsed_day = parse_da(day)
    parsed_time = _parse_tm(str(time or "")) if time else None
    if parsed_day is None or parsed_time is None:
        return None
    hour, minute, second, micro = parsed_time
    stamp = datetime(parsed_day.year, parsed_day.month, parsed_day.day, hour, minute, second, micro)
    return stamp.replace(tzinfo=_zone(offset)) if _zone(offset) else stamp


def _zone(offset: str | None) -> timezone | None:
    match = re.fullmatch(r"([+-])(\d{2})(\d{2})", (offset or "").strip())
    if not match:
        return None
    sign = 1 if match.group(1) == "+" else -1
    return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))


def parse_dt(value: object, offset: str | None = None) -> datetime | None:
    """Parse a DICOM DT value (YYYYMMDDHHMMSS.FFFFFF&ZZXX); None when absent or malformed."""
    text = str(value or "").strip()
    match = re.fullmatch(r"(\d{8})(\d{2,6}(?:\.\d{1,6})?)?([+-]\d{4})?", text)
    if not match:
        return None
    return combine(match.group(1), match.group(2) or "000000", match.group(3) or offset)


def acquisition_time(dataset: Dataset) -> datetime | None:
    """Return when the image was acquired: AcquisitionDateTime, else the date/time pairs."""
    offset = _text(dataset, "TimezoneOffsetFromUTC")
    stamp = parse_dt(dataset.get("AcquisitionDateTime"), offset)
    if stamp is not None:
        return stamp
    for day, time in (
        ("AcquisitionDate", "AcquisitionTime"),
        ("SeriesDate", "SeriesTime"),
        ("ContentDate", "ContentTime"),
    ):
        stamp = combine(dataset.get(day), dataset.get(time), offset)
        if stamp is not None:
            return stamp
    return None


def _radiopharmaceutical_item(dataset: Dataset) -> Dataset | None:
    items = dataset.get("RadiopharmaceuticalInformationSequence") or []
    return items[0] if items else None


def _injection_time(item: Dataset, dataset: Dataset) -> datetime | None:
    offset = _text(dataset, "TimezoneOffsetFromUTC")
    stamp = parse_dt(item.get("RadiopharmaceuticalStartDateTime"), offset)
    if stamp is not None:
        return stamp
    start = item.get("RadiopharmaceuticalStartTime")
    acquired = acquisition_time(dataset)
    if not start or acquired is None:
        return None
    injected = combine(acquired.strftime("%Y%m%d"), start, offset)
    if injected is not None and injected > acquired:
        injected -= timedelta(days=1)  # injected before midnight, imaged after it
    return injected


def _code_meaning(item: Dataset, keyword: str) -> str | None:
    codes: Sequence[Dataset] = item.get(keyword) or []
    return str(codes[0].get("CodeMeaning", "")).strip() or None if codes else None


def _age_years(dataset: Dataset, study_day: date | None) -> float | None:
    match = _AGE.match(str(dataset.get("PatientAge", "") or "").strip().upper())
    if match:
        return int(match.group(1)) * _DAYS_PER_UNIT[match.group(2)] / 365.25
    born = parse_da(dataset.get("PatientBirthDate"))
    if born is None or study_day is None or born > study_day:
        return None
    return (study_day - born).days / 365.25


def _patient(dataset: Dataset, study_day: date | None) -> PatientInfo:
    sex = (_text(dataset, "PatientSex") or "").upper()
    height_m = _positive(dataset, "PatientSize")
    return PatientInfo(
        sex=sex if sex in {"M", "F", "O"} else None,
        age_years=_age_years(dataset, study_day),
        height_cm=height_m * 100 if height_m is not None else None,
        weight_kg=_positive(dataset, "PatientWeight"),
    )


def extract_metadata(dataset: Dataset, series_uids: Sequence[str] = ()) -> StudyMetadata:
    """Return the non-identifying study metadata of a DICOM image."""
    acquired = acquisition_time(dataset)
    study_day = parse_da(dataset.get("StudyDate")) or (acquired.date() if acquired else None)
    item = _radiopharmaceutical_item(dataset)
    radiopharmaceutical = radionuclide = None
    injected_mbq = injection = None
    if item is not None:
        radiopharmaceutical = _text(item, "Radiopharmaceutical") or _code_meaning(
            item, "RadiopharmaceuticalCodeSequence"
        )
        radionuclide = _code_meaning(item, "RadionuclideCodeSequence")
        injected_mbq = _positive(item, "RadionuclideTotalDose")
        injection = _injection_time(item, dataset)
    return StudyMetadata(
        study_instance_uid=_text(dataset, "StudyInstanceUID"),
        series_instance_uids=tuple(series_uids) or tuple(filter(None, [_text(dataset, "SeriesInstanceUID")])),
        study_date=study_day,
        study_description=_text(dataset, "StudyDescription"),
        patient=_patient(dataset, study_day),
        radiopharmaceutical=radiopharmaceutical,
        radionuclide=radionuclide,
        injected_activity_mbq=injected_mbq,
        injection_time=injection,
        acquisition_time=acquired,
        camera=Camera(
            manufacturer=_text(dataset, "Manufacturer"),
            model=_text(dataset, "ManufacturerModelName"),
            station_name=_text(dataset, "StationName"),
            software_versions=_text(dataset, "SoftwareVersions"),
        ),
    )


def extract_identity(dataset: Dataset) -> PatientIdentity:
    """Return the identifying data of a DICOM image, kept apart from the analysis data."""
    other = dataset.get("OtherPatientIDs") or []
    others = [str(other)] if isinstance(other, str) else [str(value) for value in other]
    return PatientIdentity(
        name=_text(dataset, "PatientName"),
        patient_id=_text(dataset, "PatientID"),
        birth_date=parse_da(dataset.get("PatientBirthDate")),
        other_ids=tuple(value for value in others if value.strip()),
        accession_number=_text(dataset, "AccessionNumber"),
        institution_name=_text(dataset, "InstitutionName"),
        referring_physician=_text(dataset, "ReferringPhysicianName"),
    )
