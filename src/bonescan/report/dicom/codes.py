"""The coded concepts of bonescan's DICOM outputs, in one place.

Standard codes (SNOMED CT ``SCT``, DICOM ``DCM``, ``UCUM`` units) are used where one exists and means
what bonescan means; each was taken from the DICOM standard's context groups as pydicom ships them
(the group is named beside it) or checked against a published SNOMED CT value set. Where no standard
code fits -- the Bone Scan Index, the hotspot count, a finding's probability of being a metastasis,
labels that are bonescan's own groupings -- a private code of the coding scheme :data:`PRIVATE_SCHEME`
is used, and every output that uses one declares the scheme in its Coding Scheme Identification
Sequence (0008,0110).
"""

from __future__ import annotations

from dataclasses import dataclass

from highdicom.coding_schemes import CodingSchemeIdentificationItem
from highdicom.sr import CodedConcept
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

from bonescan.regions import REGIONS, Laterality, region

__all__ = [
    "ALGORITHM_FAMILY_AI",
    "ALGORITHM_FAMILY_ANALYTICAL",
    "AREA",
    "BONE_SCAN_INDEX",
    "CATEGORY_ANATOMY",
    "HOTSPOT_COUNT",
    "LABEL_CODES",
    "METASTASIS_PROBABILITY",
    "PRIVATE_SCHEME",
    "PROCEDURE_BONE_SCAN",
    "REGION_CODES",
    "TRACER_UPTAKE",
    "UNIT_MM2",
    "UNIT_NONE",
    "UNIT_PERCENT",
    "UPTAKE_CODES",
    "LabelCode",
    "RegionCode",
    "coding_scheme_identification",
    "label_code",
    "region_code",
]

#: The coding scheme designator of bonescan's private codes ("99" starts a private scheme).
PRIVATE_SCHEME = "99BONESCAN"


def _private(value: str, meaning: str) -> CodedConcept:
    return CodedConcept(value, PRIVATE_SCHEME, meaning)


def _standard(code: Code) -> CodedConcept:
    return CodedConcept.from_code(code)


def coding_scheme_identification() -> CodingSchemeIdentificationItem:
    """Return the item of Coding Scheme Identification Sequence that declares :data:`PRIVATE_SCHEME`."""
    return CodingSchemeIdentificationItem(
        designator=PRIVATE_SCHEME,
        name="bonescan private codes",
        responsible_organization="bonescan developers",
    )


# Measurements and the concepts around them.
#: The Bone Scan Index: the share of skeletal mass taken by likely metastases, in percent.
BONE_SCAN_INDEX = _private("BSI", "Bone Scan Index")
#: The number of hotspots that count as likely metastases (result.json ``hotspot_count``).
HOTSPOT_COUNT = _private("HOTSPOTS", "Number of hotspots")
#: The calibrated probability of skeletal metastasis (of the patient, or of one finding). DCM 111047
#: "Probability of cancer" is not used: a myeloma or lytic finding is cancer but not a metastasis.
METASTASIS_PROBABILITY = _private("METPROB", "Probability of skeletal metastasis")
#: Whether a finding takes up more or less tracer than its surroundings (hot or cold).
TRACER_UPTAKE = _private("UPTAKE", "Tracer uptake")
#: CID 3642 "Degree Finding": the values of :data:`TRACER_UPTAKE` by finding kind.
UPTAKE_CODES: dict[str, CodedConcept] = {
    "hot": _standard(codes.SCT.Elevated),
    "cold": _standard(codes.SCT.Decreased),
}
#: CID 7469 "Generic Intensity and Size Measurements": Area.
AREA = _standard(codes.SCT.Area)
UNIT_PERCENT = _standard(codes.UCUM.Percent)
UNIT_NONE = _standard(codes.UCUM.NoUnits)
UNIT_MM2 = _standard(codes.UCUM.SquareMillimeter)
#: CID 3108 "NM/PET Procedure": the procedure the report is about.
PROCEDURE_BONE_SCAN = _standard(codes.SCT.RadioisotopeStudyOfMusculoskeletalSystem)
#: CID 7150 "Segmentation Property Category": the category of the skeletal region segments.
CATEGORY_ANATOMY = _standard(codes.SCT.AnatomicalStructure)
#: CID 7162 "Surgical and Computational Algorithm Family".
ALGORITHM_FAMILY_AI = _standard(codes.DCM.ArtificialIntelligence)
ALGORITHM_FAMILY_ANALYTICAL = _standard(codes.DCM.AnalyticalAlgorithm)


@dataclass(frozen=True)
class RegionCode:
    """A region as a coded anatomic location, with its laterality and topographical modifier."""

    location: CodedConcept
    laterality: CodedConcept | None = None
    modifier: CodedConcept | None = None


@dataclass(frozen=True)
class LabelCode:
    """A finding label as a code, with the segmentation category it belongs to (CID 7150)."""

    code: CodedConcept
    category: CodedConcept


_LATERALITY: dict[Laterality, CodedConcept | None] = {
    Laterality.LEFT: _standard(codes.SCT.Left),
    Laterality.RIGHT: _standard(codes.SCT.Right),
    Laterality.MIDLINE: None,
}
_PROXIMAL = _standard(codes.SCT.Proximal)
_DISTAL = _standard(codes.SCT.Distal)

# The anatomic location of each region of bonescan.regions, without its side (CID 4 "Anatomic
# Region", CID 7304, CID 7151 "Segmentation Property Types" as shipped with pydicom).
_LOCATIONS: dict[str, CodedConcept] = {
    "background": _private("BACKGROUND", "Outside the body"),
    "soft_tissue": _standard(codes.SCT.SoftTissue),
    "skull": _standard(codes.SCT.Skull),
    "facial_mandible": _standard(codes.SCT.FacialBones),
    "cervical_spine": _standard(codes.SCT.CervicalSpine),
    "thoracic_spine": _standard(codes.SCT.ThoracicSpine),
    "lumbar_spine": _standard(codes.SCT.LumbarSpine),
    "sacrum": _standard(codes.SCT.Sacrum),
    "sternum": _standard(codes.SCT.Sternum),
    "ribs": _standard(codes.SCT.Rib),
    "clavicle": _standard(codes.SCT.Clavicle),
    "scapula": _standard(codes.SCT.Scapula),
    "humerus_proximal": _standard(codes.SCT.Humerus),
    "humerus_distal": _standard(codes.SCT.Humerus),
    "forearm": _standard(codes.SCT.RadiusAndUlna),
    "hand": _standard(codes.SCT.Hand),
    "pelvis": _standard(codes.SCT.BoneStructureOfPelvis),
    "femur_proximal": _standard(codes.SCT.Femur),
    "femur_distal": _standard(codes.SCT.Femur),
    "tibia_fibula": _standard(codes.SCT.TibiaAndFibula),
    "foot": _standard(codes.SCT.Foot),
    "kidney": _standard(codes.SCT.Kidney),
    "bladder": _standard(codes.SCT.Bladder),
}


def _region_code(name: str) -> RegionCode:
    entry = region(name)
    base = name.removesuffix("_left").removesuffix("_right")
    modifier = _PROXIMAL if base.endswith("_proximal") else _DISTAL if base.endswith("_distal") else None
    return RegionCode(_LOCATIONS[base], _LATERALITY[entry.laterality], modifier)


#: Every region of :data:`bonescan.regions.REGIONS` as a code (the one region-to-code table).
REGION_CODES: dict[str, RegionCode] = {entry.name: _region_code(entry.name) for entry in REGIONS}

# CID 7150 "Segmentation Property Category": bone lesions are abnormal structures; physiological
# uptake is tracer in urine (a body substance); an artefact is tracer where it does not belong
# (urine contamination, an injection site): a substance.
_ABNORMAL = _standard(codes.SCT.MorphologicallyAbnormalStructure)
_BODY_SUBSTANCE = _standard(codes.SCT.BodySubstance)
_SUBSTANCE = _standard(codes.SCT.Substance)

#: Every finding label as a code. SNOMED CT where a concept means the label: "Bony metastasis"
#: (CID 6347) and "Indeterminate" (CID 4220) from the DICOM standard; Osteoarthritis (synonym
#: degenerative joint disease), Fracture of bone and Osteomyelitis as published SNOMED CT value sets
#: use them. Private codes for labels that group several causes (myeloma *or* lytic lesion,
#: prosthesis-related uptake), for bonescan's non-bone labels, and for Paget's disease of bone, whose
#: SNOMED CT concept identifier could not be checked against a published source when this was written.
LABEL_CODES: dict[str, LabelCode] = {
    "metastasis": LabelCode(_standard(codes.SCT.BonyMetastasis), _ABNORMAL),
    "degenerative": LabelCode(CodedConcept("396275006", "SCT", "Osteoarthritis"), _ABNORMAL),
    "fracture": LabelCode(CodedConcept("125605004", "SCT", "Fracture of bone"), _ABNORMAL),
    "paget": LabelCode(_private("PAGET", "Paget's disease of bone"), _ABNORMAL),
    "osteomyelitis": LabelCode(CodedConcept("60168000", "SCT", "Osteomyelitis"), _ABNORMAL),
    "prosthesis_related": LabelCode(_private("PROSTHESIS", "Uptake around a prosthesis"), _ABNORMAL),
    "myeloma_or_lytic": LabelCode(_private("LYTIC", "Myeloma or lytic lesion"), _ABNORMAL),
    "physiological": LabelCode(_private("PHYSIOLOGICAL", "Physiological uptake"), _BODY_SUBSTANCE),
    "artefact": LabelCode(_private("ARTEFACT", "Artefact (urine or injection)"), _SUBSTANCE),
    "indeterminate": LabelCode(_standard(codes.SCT.Indeterminate), _ABNORMAL),
}


def region_code(name: str) -> RegionCode:
    """Return the code of a region of :mod:`bonescan.regions`.

    Raises
    ------
    KeyError
        When ``name`` is not a known region.
    """
    if name not in REGION_CODES:
        region(name)  # raises with the known names listed
    return REGION_CODES[name]


def label_code(label: str) -> LabelCode:
    """Return the code of a finding label.

    Raises
    ------
    KeyError
        When ``label`` has no code (a label added without updating :data:`LABEL_CODES`).
    """
    try:
        return LABEL_CODES[label]
    except KeyError:
        known = ", ".join(LABEL_CODES)
        raise KeyError(f"finding label {label!r} has no DICOM code; known labels: {known}") from None
