"""The Structured Report: a TID 1500 Measurement Report of the result.

Content (Comprehensive SR, SOP Class 1.2.840.10008.5.1.4.1.1.88.33):

* the procedure reported, a radionuclide study of the musculoskeletal system (SCT 68796002), and the
  device observer (bonescan and its version);
* one TID 1501 measurement group for the patient: the Bone Scan Index (%), the hotspot count and the
  patient's probability of skeletal metastasis, with the view images as its source images;
* one TID 1410 planar ROI group per finding *and view that shows it* (TID 1410 holds exactly one
  region; the groups of one finding share its Tracking Identifier "finding N" and Tracking UID, the
  same as the finding's segment in the Segmentation): the label as the group's Finding (121071, DCM),
  a coded value like a qualitative evaluation; the region as the Finding Site, with laterality and
  part as modifiers; the finding's metastasis probability and the spot's area as measurements; the
  uptake (elevated for a hot spot, decreased for a cold one) as a qualitative evaluation; and the
  outline as a closed SCOORD POLYLINE (first point repeated last; 2-D SCOORD has no POLYGON) on the
  right frame of the right image.

Coordinates are DICOM image coordinates (column, row) in pixels, where the top left corner of the top
left pixel is (0, 0) and its centre (0.5, 0.5): a ``result.json`` outline vertex [row, column] in the
stored grid (pixel centres at whole numbers) becomes (column + 0.5, row + 0.5).

Images referred to: for DICOM input that is not anonymized the input instance (and, for a multi-frame
NM image, frame ``frame + 1``); for raster input, and for anonymized output, the derived view images,
so that an anonymized report names no UID of the source.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import highdicom as hd
import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from bonescan._version import __version__
from bonescan.report.dicom.codes import (
    AREA,
    BONE_SCAN_INDEX,
    HOTSPOT_COUNT,
    METASTASIS_PROBABILITY,
    PROCEDURE_BONE_SCAN,
    TRACER_UPTAKE,
    UNIT_MM2,
    UNIT_NONE,
    UNIT_PERCENT,
    UPTAKE_CODES,
    coding_scheme_identification,
    label_code,
    region_code,
)
from bonescan.report.dicom.identity import OutputIdentity, person_name
from bonescan.report.dicom.views import MANUFACTURER, ImageReference
from bonescan.report.source import ReportFinding, ReportSource
from bonescan.study import ViewName

__all__ = ["dicom_outline", "structured_report"]

_SERIES_NUMBER = 904


def dicom_outline(entry: dict[str, Any]) -> NDArray[np.float64]:
    """Return a hotspot entry's outline as closed (column, row) DICOM image coordinates (see module)."""
    outline = np.asarray(entry["outline"], dtype=np.float64).reshape(-1, 2)
    points = np.column_stack([outline[:, 1] + 0.5, outline[:, 0] + 0.5])
    if not np.array_equal(points[0], points[-1]):
        points = np.vstack([points, points[:1]])
    return points


def _algorithm() -> hd.sr.AlgorithmIdentification:
    return hd.sr.AlgorithmIdentification(name="bonescan", version=__version__)


def _observation_context(device_uid: str) -> hd.sr.ObservationContext:
    device = hd.sr.DeviceObserverIdentifyingAttributes(
        uid=device_uid, name="bonescan", manufacturer_name=MANUFACTURER, model_name=f"bonescan {__version__}"
    )
    return hd.sr.ObservationContext(
        observer_device_context=hd.sr.ObserverContext(
            observer_type=codes.DCM.Device, observer_identifying_attributes=device
        )
    )


def _patient_group(
    source: ReportSource, references: dict[ViewName, ImageReference]
) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    patient = source.patient
    measurements = [
        hd.sr.Measurement(
            BONE_SCAN_INDEX, float(patient["bsi_percent"]), UNIT_PERCENT, algorithm_id=_algorithm()
        ),
        hd.sr.Measurement(HOTSPOT_COUNT, int(patient["hotspot_count"]), UNIT_NONE, algorithm_id=_algorithm()),
        hd.sr.Measurement(
            METASTASIS_PROBABILITY,
            float(patient["metastasis_probability"]),
            UNIT_NONE,
            algorithm_id=_algorithm(),
        ),
    ]
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier="patient"),
        measurements=measurements,
        source_images=[
            hd.sr.SourceImageForMeasurementGroup(
                reference.sop_class_uid,
                reference.sop_instance_uid,
                list(reference.frame_numbers) if reference.frame_numbers else None,
            )
            for reference in references.values()
        ],
    )


def _finding_group(
    finding: ReportFinding, view: ViewName, reference: ImageReference, tracking_uid: str
) -> hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations:
    entry = finding.spots[view]
    site = region_code(finding.region)
    region = hd.sr.ImageRegion(
        graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
        graphic_data=dicom_outline(entry),
        source_image=hd.sr.SourceImageForRegion(
            reference.sop_class_uid,
            reference.sop_instance_uid,
            list(reference.frame_numbers) if reference.frame_numbers else None,
        ),
    )
    return hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=tracking_uid, identifier=f"finding {finding.number}"
        ),
        referenced_region=region,
        finding_type=label_code(finding.label).code,
        finding_sites=[hd.sr.FindingSite(site.location, site.laterality, site.modifier)],
        measurements=[
            hd.sr.Measurement(METASTASIS_PROBABILITY, finding.metastasis_probability, UNIT_NONE),
            hd.sr.Measurement(AREA, float(entry["area_mm2"]), UNIT_MM2),
        ],
        qualitative_evaluations=[hd.sr.QualitativeEvaluation(TRACER_UPTAKE, UPTAKE_CODES[finding.kind])],
        algorithm_id=_algorithm(),
    )


def _verification(source: ReportSource, identity: OutputIdentity) -> dict[str, Any]:
    """Return the SR's verification arguments: verified by the confirming physician, if named."""
    confirmation = source.confirmation
    if confirmation is None or source.anonymized:
        return {"is_verified": False}
    return {
        "is_verified": True,
        "verifying_observer_name": person_name(confirmation.physician),
        # Type 1: the institution when the source names one, else said to be unknown.
        "verifying_organization": identity.institution_name or "unknown",
    }


def structured_report(
    source: ReportSource,
    identity: OutputIdentity,
    evidence: list[Dataset],
    references: dict[ViewName, ImageReference],
    tracking_uids: dict[int, str],
) -> hd.sr.ComprehensiveSR:
    """Return the TID 1500 Measurement Report of the result (see the module text).

    Parameters
    ----------
    source : ReportSource
        The result and its images.
    identity : OutputIdentity
        The patient and study attributes; ``evidence[0]`` must carry them.
    evidence : list of Dataset
        The instances the report refers to (the SR copies patient and study from the first).
    references : dict of ViewName to ImageReference
        The image (and frame) each view's findings are outlined on.
    tracking_uids : dict of int to str
        The tracking UID of each finding, by number.
    """
    groups: list[Any] = [_patient_group(source, references)]
    for finding in source.findings():
        for view in finding.views:
            groups.append(_finding_group(finding, view, references[view], tracking_uids[finding.number]))
    content = hd.sr.MeasurementReport(
        observation_context=_observation_context(hd.UID()),
        procedure_reported=PROCEDURE_BONE_SCAN,
        imaging_measurements=groups,
    )
    confirmed = source.confirmation is not None
    report = hd.sr.ComprehensiveSR(
        evidence=evidence,
        content=content[0],
        series_instance_uid=hd.UID(),
        series_number=_SERIES_NUMBER,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer=MANUFACTURER,
        is_complete=True,
        is_final=confirmed,
        institution_name=identity.institution_name,
        coding_schemes=[coding_scheme_identification()],
        series_description="bonescan: measurement report",
        manufacturer_model_name=MANUFACTURER,
        software_versions=__version__,
        **_verification(source, identity),
    )
    if report.VerificationFlag == "VERIFIED" and source.confirmation is not None:
        stamp: datetime = source.confirmation.confirmed_at
        report.VerifyingObserverSequence[0].VerificationDateTime = stamp.strftime("%Y%m%d%H%M%S")
    return report
