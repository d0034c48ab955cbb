"""Coded concepts bonescan reads and writes in DICOM, named after the standard's context groups."""

from __future__ import annotations

from enum import Enum

from pydicom.sr.coding import Code

from bonescan.study import ViewName

__all__ = [
    "TECHNETIUM_99M",
    "NuclearMedicineProjection",
    "PatientOrientation",
    "Radiopharmaceutical",
]


class NuclearMedicineProjection(Enum):
    """CID 26 "Nuclear Medicine Projection": the codes of View Code Sequence (0054,0220)."""

    ANTERIOR = Code("399321004", "SCT", "Anterior projection")
    POSTERIOR = Code("399001007", "SCT", "Posterior projection")

    @classmethod
    def for_view(cls, view: ViewName) -> NuclearMedicineProjection:
        """Return the projection code of a view."""
        return cls.ANTERIOR if view is ViewName.ANTERIOR else cls.POSTERIOR


#: The same projections in the retired SNOMED-RT scheme (SRT), still written by many cameras.
RETIRED_PROJECTION_CODES: dict[tuple[str, str], ViewName] = {
    ("G-5215", "SRT"): ViewName.ANTERIOR,
    ("G-5216", "SRT"): ViewName.POSTERIOR,
    ("G-5215", "99SDM"): ViewName.ANTERIOR,
    ("G-5216", "99SDM"): ViewName.POSTERIOR,
}


class PatientOrientation(Enum):
    """CID 19 "Patient Orientation" and CID 21 "Patient Equipment Relationship" codes used here."""

    RECUMBENT = Code("102538003", "SCT", "recumbent")
    SUPINE = Code("40199007", "SCT", "supine")
    HEADFIRST = Code("102540008", "SCT", "headfirst")


class Radiopharmaceutical(Enum):
    """CID 25 "Radiopharmaceutical": the bone-seeking tracers."""

    MDP = Code("96390006", "SCT", "Technetium Tc^99m^ medronate")
    HDP = Code("53951001", "SCT", "Technetium Tc^99m^ oxidronate")


#: CID 18 "Isotopes in Radiopharmaceuticals": technetium-99m.
TECHNETIUM_99M = Code("72454006", "SCT", "^99m^Technetium")
