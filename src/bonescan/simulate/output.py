"""Writing one simulated acquisition: NM DICOM, truth JSON and maps.

Every UID is derived from the cohort seed, the case and the acquisition (never from the clock), so the
same seed writes the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydicom.uid import generate_uid

from bonescan.io.nm_writer import write_nm_image
from bonescan.simulate.findings import Finding
from bonescan.simulate.patient import Acquisition, Patient
from bonescan.simulate.physics import expected_counts_scale, fwhm_mm, lesion_time_factor
from bonescan.simulate.scan import SimulatedScan
from bonescan.simulate.truth import BSI_DEFINITION, VIEWS, bsi, finding_truth, write_maps
from bonescan.study import (
    Camera,
    PatientIdentity,
    PatientInfo,
    Study,
    StudyMetadata,
    View,
    ViewName,
    ViewSource,
)

__all__ = ["CaseInfo", "write_acquisition"]

SIMULATOR_VERSION = "9"


@dataclass(frozen=True)
class CaseInfo:
    """What identifies a simulated patient and what they have."""

    case_id: str
    seed: int
    patient: Patient
    label: str
    primary: str | None
    tracer: str
    course: str


def _uid(case: CaseInfo, *parts: str) -> str:
    return str(generate_uid(entropy_srcs=["bonescan-simulate", str(case.seed), case.case_id, *parts]))


def make_study(case: CaseInfo, acquisition: Acquisition, scan: SimulatedScan, path: Path) -> Study:
    """Return the :class:`Study` of one acquisition, ready for :func:`write_nm_image`."""
    study_key = f"followup-{acquisition.index}" if acquisition.kind == "followup" else "baseline"
    series_key = f"{acquisition.kind}-{acquisition.index}"
    when = acquisition.acquisition_time
    spacing = scan.body.frame.spacing_mm
    views = tuple(
        View(
            ViewName(name),
            scan.counts[i],
            (spacing, spacing),
            source=ViewSource(path, frame=i),
            acquisition_time=when,
        )
        for i, name in enumerate(VIEWS)
    )
    patient = case.patient
    metadata = StudyMetadata(
        study_instance_uid=_uid(case, "study", study_key),
        series_instance_uids=(_uid(case, "series", series_key),),
        study_date=when.date(),
        study_description="Whole Body Bone Scan (simulated)",
        patient=PatientInfo(
            patient.sex,
            patient.age_years + acquisition.days_from_baseline / 365.25,
            patient.height_mm / 10.0,
            patient.weight_kg,
        ),
        radiopharmaceutical=case.tracer,
        radionuclide="Tc-99m",
        injected_activity_mbq=acquisition.activity_mbq,
        injection_time=acquisition.injection_time,
        acquisition_time=when,
        camera=Camera("bonescan", "bonescan simulator", "SIM", f"bonescan-simulate {SIMULATOR_VERSION}"),
    )
    baseline_day = acquisition.injection_time.date() - timedelta(days=acquisition.days_from_baseline)
    birth = baseline_day - timedelta(days=round(patient.age_years * 365.25))
    identity = PatientIdentity(
        name=f"SIMULATED^{case.case_id.upper()}",
        patient_id=f"SIM-{case.seed}-{case.case_id}",
        birth_date=birth,
        accession_number=f"S{abs(_hash_text(series_key + case.case_id)) % 10**8:08d}",
    )
    return Study(views, metadata, identity)


def _hash_text(text: str) -> int:
    """Return a stable integer hash of ``text`` (Python's ``hash`` is salted per process)."""
    value = 0
    for char in text.encode():
        value = (value * 131 + char) % (2**61 - 1)
    return value


def _truth(
    case: CaseInfo,
    acquisition: Acquisition,
    scan: SimulatedScan,
    findings: tuple[Finding, ...],
    files: dict[str, str],
) -> dict[str, Any]:
    value, fractions = bsi(findings, scan)
    hot_value, _ = bsi(findings, scan, hot_only=True)
    factor = lesion_time_factor(acquisition.uptake_h)
    patient = case.patient
    return {
        "schema": "bonescan-simulate-truth/1",
        "simulator_version": SIMULATOR_VERSION,
        "case_id": case.case_id,
        "seed": case.seed,
        "acquisition": {
            "kind": acquisition.kind,
            "index": acquisition.index,
            "days_from_baseline": acquisition.days_from_baseline,
            "injection_time": acquisition.injection_time.isoformat(),
            "acquisition_time": acquisition.acquisition_time.isoformat(),
            "uptake_interval_h": acquisition.uptake_h,
            "activity_mbq": acquisition.activity_mbq,
            "tracer": case.tracer,
            "scan_speed_cm_min": acquisition.scan_speed_cm_min,
            "rotation_deg": round(acquisition.positioning.rotation_deg, 3),
            "offset_x_mm": round(acquisition.positioning.offset_x_mm, 2),
            "top_margin_mm": round(acquisition.positioning.top_margin_mm, 2),
            "resolution_factor": acquisition.resolution_factor,
            "body_contour": acquisition.body_contour,
        },
        "patient": {
            "sex": patient.sex,
            "age_years": patient.age_years,
            "height_cm": round(patient.height_mm / 10.0, 1),
            "weight_kg": patient.weight_kg,
            "bmi": round(patient.bmi, 2),
            "label": case.label,
            "primary_cancer": case.primary,
            "course": case.course,
            "arms_abduction_deg": [round(a, 2) for a in patient.abduction_deg],
            "joint_uptake_factor": round(patient.joint_uptake, 3),
            "bone_uptake_fraction": round(patient.bone_uptake, 4),
            "renal_function": round(patient.renal_function, 3),
            "abdominal_fat_mm": round(patient.belly_mm, 1),
            "blood_pool_excess": round(patient.blood_pool, 3),
            "liver_excess": round(patient.liver, 3),
            "face_uptake_factor": round(patient.face_uptake, 3),
            "frontal_hyperostosis_uptake": round(patient.frontal_hyperostosis, 3),
            "lumbar_lordosis_mm": patient.lordosis_mm,
            "thoracic_kyphosis_mm": patient.kyphosis_mm,
        },
        "image": {
            "rows": int(scan.counts.shape[1]),
            "columns": int(scan.counts.shape[2]),
            "pixel_spacing_mm": scan.body.frame.spacing_mm,
            "fwhm_mm_at_10cm": round(fwhm_mm(100.0) * acquisition.resolution_factor, 2),
            "counts": {v: int(scan.counts[i].sum()) for i, v in enumerate(VIEWS)},
            "expected_counts": {v: round(float(scan.expected[i].sum()), 1) for i, v in enumerate(VIEWS)},
            "counts_per_unit_fraction": round(expected_counts_scale(acquisition), 1),
            "posterior_mirrored": False,
        },
        "tracer_distribution": {
            "bone": round(scan.kinetics.bone, 5),
            "soft_tissue": round(scan.kinetics.soft_tissue, 5),
            "kidneys": round(scan.kinetics.kidneys, 5),
            "bladder": round(scan.kinetics.bladder, 5),
        },
        "bsi": {
            "value": round(value, 4),
            "hot_only": round(hot_value, 4),
            "definition": BSI_DEFINITION,
            "involved_fraction": {k: round(v, 5) for k, v in fractions.items()},
        },
        "findings": [finding_truth(f, scan, factor) for f in findings],
        "files": files,
    }


def write_acquisition(
    folder: Path,
    stem: str,
    case: CaseInfo,
    acquisition: Acquisition,
    scan: SimulatedScan,
    findings: tuple[Finding, ...],
) -> dict[str, Any]:
    """Write ``<stem>.dcm``, ``<stem>.truth.json`` and ``<stem>.maps.npz`` into ``folder``.

    Parameters
    ----------
    folder : Path
        Existing folder.
    stem : str
        File name stem (``baseline``, ``repeat1``, ``followup2``, ...); it also seeds the UIDs.
    case : CaseInfo
        The patient and what they have.
    acquisition : Acquisition
        When and how the scan was made.
    scan : SimulatedScan
        The simulated images and truth maps.
    findings : tuple of Finding
        All findings of the acquisition, resolved ones included (they appear in the truth only).

    Returns
    -------
    dict
        The truth written.
    """
    dicom, truth_path, maps = (
        folder / f"{stem}.dcm",
        folder / f"{stem}.truth.json",
        folder / f"{stem}.maps.npz",
    )
    study = make_study(case, acquisition, scan, dicom)
    write_nm_image(study, dicom, uid_seed=f"bonescan-simulate/{case.seed}/{case.case_id}/{stem}")
    write_maps(maps, scan)
    truth = _truth(case, acquisition, scan, findings, {"dicom": dicom.name, "maps": maps.name})
    truth_path.write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return truth
