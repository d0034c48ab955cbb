"""The simulated patient and one acquisition of that patient, and how both are sampled.

A :class:`Patient` holds what stays the same from scan to scan (sex, age, body size and build, how
their bones take up tracer); an :class:`Acquisition` holds what changes with every scan (injected
activity, uptake interval, scan speed, bladder filling, positioning on the table).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypedDict

import numpy as np

__all__ = ["Acquisition", "Patient", "Positioning", "sample_acquisition", "sample_patient"]

FIELD_ROWS = 1024
FIELD_COLUMNS = 256
PIXEL_SPACING_MM = 2.26


@dataclass(frozen=True)
class Patient:
    """What stays the same between scans of one patient.

    Attributes
    ----------
    sex : str
        "M" or "F".
    age_years : float
        Age at the baseline scan.
    height_mm, weight_kg : float
        Body size; weight follows from height and body-mass index.
    build : float
        Soft-tissue scale, 1 for a body-mass index of 25 (square root of BMI / 25).
    abduction_deg : tuple of float
        Angle of each upper arm from the body's long axis (right, left), in degrees.
    elbow_deg : tuple of float
        Inward angle of each forearm from the upper arm (right, left), in degrees.
    palms_up : bool
        Forearms supinated (radius and ulna side by side, hands spread) instead of palms inward.
    bone_uptake : float
        Fraction of the injected activity bound in bone at equilibrium (0.4-0.6 in health).
    soft_tissue_clearance_h : float
        Time constant of the fast soft-tissue clearance, in hours (longer with poor renal function).
    soft_tissue_retention_h : float
        Time constant of the slow soft-tissue clearance, in hours (about 7; longer with poor renal
        function, and varying with hydration, circulation and protein binding).
    renal_function : float
        Relative kidney activity and urine production (1 normal).
    joint_uptake : float
        Age-related extra uptake at the large joints, as a factor on their normal uptake.
    uptake_seed : int
        Seed of the patient's own small variations of uptake from bone part to bone part (about 10%),
        the same in every scan of the patient.
    breast_size : float
        Size of the breasts (0 for men; about 0.6-1.5 for women), which attenuate the anterior chest.
    belly_mm : float
        Extra depth of the abdomen in front (abdominal fat of heavy patients), in mm at the waist.
    blood_pool : float
        Excess tracer concentration in the heart and great vessels over the soft-tissue level (0-0.3).
    liver : float
        Excess tracer concentration in the liver over the soft-tissue level (0-0.3).
    fat_uptake : float
        Tracer concentration in fat relative to lean soft tissue (fat holds little extracellular
        fluid).
    soft_variation : float
        Amplitude (log standard deviation) of the smooth muscle/fat variation of soft-tissue activity.
    bone_texture : float
        Amplitude (log standard deviation) of the fine texture of bone uptake (0.05-0.15).
    texture_mm : float
        Correlation length of the bone texture, in mm.
    vault_uptake : float
        Factor on the uptake of the cranial vault.
    vault_variation : float
        Amplitude of the coarse variation of the cranial vault's uptake (an uneven rim).
    face_uptake : float
        Factor on the uptake of the facial bones and mandible (above 1.3 with dental or sinus disease).
    frontal_hyperostosis : float
        Relative uptake of a thickened frontal inner table (hyperostosis frontalis interna), 0 for none.
    bone_scale : float
        Factor on the width and depth of every bone (frame size; men's bones are wider).
    lordosis_mm : float
        How far the apex of the lumbar lordosis (L3-L4) lies in front of the chord from L1 to the
        sacrum, in mm (the skeleton keeps the lumbar spine's mean depth).
    kyphosis_mm : float
        How far the apex of the thoracic kyphosis (T6-T7) lies behind the chord from T1 to T12, in mm.
    """

    sex: str
    age_years: float
    height_mm: float
    weight_kg: float
    build: float
    abduction_deg: tuple[float, float]
    elbow_deg: tuple[float, float]
    palms_up: bool
    bone_uptake: float
    soft_tissue_clearance_h: float
    renal_function: float
    joint_uptake: float
    uptake_seed: int = 0
    breast_size: float = 0.0
    soft_tissue_retention_h: float = 7.0
    belly_mm: float = 0.0
    blood_pool: float = 0.0
    liver: float = 0.0
    fat_uptake: float = 1.0
    soft_variation: float = 0.0
    bone_texture: float = 0.0
    texture_mm: float = 4.0
    vault_uptake: float = 1.0
    vault_variation: float = 0.0
    face_uptake: float = 1.0
    frontal_hyperostosis: float = 0.0
    bone_scale: float = 1.0
    lordosis_mm: float = 0.0
    kyphosis_mm: float = 0.0

    @property
    def bmi(self) -> float:
        """Body-mass index in kg/m^2."""
        return self.weight_kg / (self.height_mm / 1000.0) ** 2


@dataclass(frozen=True)
class Positioning:
    """Where the patient lies in the field: in-plane rotation and shift."""

    rotation_deg: float = 0.0
    offset_x_mm: float = 0.0
    top_margin_mm: float = 60.0


@dataclass(frozen=True)
class Acquisition:
    """One scan of a patient.

    Attributes
    ----------
    kind : str
        "baseline", "repeat" or "followup".
    index : int
        0 for the baseline; 1, 2, ... for repeats or follow-ups.
    days_from_baseline : int
        Calendar days since the baseline scan.
    injection_time : datetime
        When the tracer was injected.
    uptake_h : float
        Hours from injection to the start of the whole-body sweep.
    activity_mbq : float
        Injected activity.
    scan_speed_cm_min : float
        Table speed of the whole-body sweep.
    hours_since_void : float
        Time since the patient last emptied the bladder.
    positioning : Positioning
        Rotation and shift on the table.
    noise_key : int
        Distinguishes the Poisson noise of acquisitions that are otherwise the same.
    resolution_factor : float
        Factor on the system FWHM for this acquisition's camera and collimator (0.8-1.5: from a sharp
        camera with a high-resolution collimator, 6.2 mm at 5 cm, to older cameras and general-purpose
        collimators, 11.7 mm at 5 cm; clinical systems are about 7-10 mm near the body).
    body_contour : bool
        The anterior detector follows the body's contour during the sweep; when it does not, it stays
        at the height of the patient's highest point (the feet or the abdomen), further from the rest.
    """

    kind: str
    index: int
    days_from_baseline: int
    injection_time: datetime
    uptake_h: float
    activity_mbq: float
    scan_speed_cm_min: float
    hours_since_void: float
    positioning: Positioning
    noise_key: int = 0
    resolution_factor: float = 1.0
    body_contour: bool = True

    @property
    def acquisition_time(self) -> datetime:
        """Start of the whole-body sweep (rounded to the second)."""
        return self.injection_time + timedelta(seconds=round(self.uptake_h * 3600.0))


def _renal_function(rng: np.random.Generator, age: float) -> float:
    """Relative renal function: falls with age, and chronic kidney disease is common in the elderly."""
    renal = rng.normal(1.0 - 0.008 * max(age - 50.0, 0.0), 0.15)
    if rng.random() < 0.04 + 0.008 * max(age - 55.0, 0.0):
        renal = rng.uniform(0.25, 0.6)
    return float(np.clip(renal, 0.25, 1.3))


class _Skull(TypedDict):
    vault_uptake: float
    vault_variation: float
    face_uptake: float
    frontal_hyperostosis: float


class _Tissue(TypedDict):
    belly_mm: float
    blood_pool: float
    liver: float
    fat_uptake: float
    soft_variation: float
    bone_texture: float
    texture_mm: float


def _skull(rng: np.random.Generator, sex: str, age: float) -> _Skull:
    """Cranial vault, face and frontal hyperostosis of one patient."""
    face = rng.uniform(1.3, 2.2) if rng.random() < 0.35 else rng.uniform(0.85, 1.2)
    chance = 0.04 + 0.006 * max(age - 40.0, 0.0) if sex == "F" else 0.02
    hyperostosis = rng.uniform(0.8, 1.6) if rng.random() < chance else 0.0
    return {
        "vault_uptake": float(math.exp(rng.uniform(math.log(0.6), math.log(1.2)))),
        "vault_variation": float(rng.uniform(0.05, 0.2)),
        "face_uptake": float(face),
        "frontal_hyperostosis": float(hyperostosis),
    }


def _tissue(rng: np.random.Generator, sex: str, bmi: float, height: float) -> _Tissue:
    """Soft-tissue build, blood pool, liver and bone texture of one patient."""
    belly = max(bmi - 25.0, 0.0) * rng.uniform(1.0, 3.5) * height / 1700.0 * (1.0 if sex == "M" else 0.8)
    return {
        "belly_mm": float(belly),
        "blood_pool": float(rng.uniform(0.0, 0.3)),
        "liver": float(rng.uniform(0.0, 0.3)),
        "fat_uptake": float(rng.uniform(0.25, 0.5)),
        "soft_variation": float(rng.uniform(0.03, 0.12)),
        "bone_texture": float(rng.uniform(0.05, 0.15)),
        "texture_mm": float(rng.uniform(2.5, 5.0)),
    }


def sample_patient(rng: np.random.Generator, sex: str | None = None) -> Patient:
    """Draw a patient of a bone-scan population (mostly 50-85 years old).

    Body-mass index is log-normal around 27 (sigma 0.2, 17-48), so heavy patients are common; the
    bone-bound fraction of tracer is uniform over 0.30-0.60 (low in health, high with the metabolic and
    degenerative bone disease of older patients) and renal function falls with age.

    Parameters
    ----------
    rng : numpy.random.Generator
        The source of randomness.
    sex : str, optional
        "M" or "F"; drawn (55% men) when not given.
    """
    chosen = sex if sex is not None else ("M" if rng.random() < 0.55 else "F")
    age = float(np.clip(rng.normal(67.0, 11.0), 30.0, 92.0))
    height = rng.normal(1760.0, 70.0) if chosen == "M" else rng.normal(1630.0, 65.0)
    height = float(np.clip(height, 1480.0, 1980.0))
    bmi = float(np.clip(rng.lognormal(math.log(27.0), 0.2), 17.0, 48.0))
    weight = bmi * (height / 1000.0) ** 2
    abduction = (float(rng.uniform(0.0, 12.0)), float(rng.uniform(0.0, 12.0)))
    elbow = (float(rng.uniform(4.0, 22.0)), float(rng.uniform(4.0, 22.0)))
    renal = _renal_function(rng, age)
    patient = Patient(
        sex=chosen,
        age_years=round(age, 1),
        height_mm=round(height, 1),
        weight_kg=round(weight, 1),
        build=math.sqrt(bmi / 25.0),
        abduction_deg=abduction,
        elbow_deg=elbow,
        palms_up=bool(rng.random() < 0.3),
        bone_uptake=float(rng.uniform(0.30, 0.60)),
        soft_tissue_clearance_h=float(0.9 / renal**0.5 * rng.uniform(0.85, 1.15)),
        renal_function=renal,
        joint_uptake=1.0 + 0.008 * max(age - 35.0, 0.0) * float(rng.uniform(0.6, 1.4)),
        uptake_seed=int(rng.integers(0, 2**31)),
        breast_size=float(rng.uniform(0.6, 1.3) * bmi / 26.0) if chosen == "F" else 0.0,
        soft_tissue_retention_h=float(7.0 * rng.lognormal(0.0, 0.3) / renal**0.25),
        **_tissue(rng, chosen, bmi, height),
        **_skull(rng, chosen, age),
        bone_scale=float(np.clip(rng.lognormal(0.0, 0.05) * (1.03 if chosen == "M" else 0.97), 0.88, 1.14)),
    )
    lordosis, kyphosis = _spinal_curves(np.random.default_rng([patient.uptake_seed, 3]), age)
    return replace(patient, lordosis_mm=lordosis, kyphosis_mm=kyphosis)


def _spinal_curves(rng: np.random.Generator, age: float) -> tuple[float, float]:
    """Draw the sagittal curves: lordosis 30-70 degrees, kyphosis about 15-60 degrees, rising with age.

    A curve of angle theta over a length s lies about s * theta / 8 from its chord: the lumbar spine
    (about 180 mm) 9-27 mm, the thoracic spine (about 280 mm) 10-37 mm. Drawn from their own
    generator so that the patient's other draws are those of simulator version 5.
    """
    lordosis = float(rng.uniform(9.0, 27.0))
    kyphosis = float(np.clip(rng.uniform(10.0, 25.0) + 0.3 * max(age - 50.0, 0.0), 10.0, 37.0))
    return round(lordosis, 1), round(kyphosis, 1)


def sample_positioning(rng: np.random.Generator, patient: Patient) -> Positioning:
    """Draw a small in-plane rotation and shift, and the head margin that keeps the feet in view."""
    free = FIELD_ROWS * PIXEL_SPACING_MM - patient.height_mm - 20.0
    top = float(rng.uniform(15.0, max(min(free, 220.0), 16.0)))
    return Positioning(
        rotation_deg=float(rng.normal(0.0, 1.2)),
        offset_x_mm=float(rng.normal(0.0, 8.0)),
        top_margin_mm=top,
    )


#: Fixed activities (MBq) of departments that do not scale the activity with weight.
_FIXED_ACTIVITIES = (
    370.0,
    400.0,
    450.0,
    500.0,
    550.0,
    600.0,
    650.0,
    700.0,
    740.0,
    800.0,
    925.0,
    1000.0,
    1110.0,
)


def _activity(rng: np.random.Generator, patient: Patient) -> float:
    """Injected activity: 6.5-11 MBq/kg (350-1000 MBq) in 55% of scans, a fixed activity otherwise."""
    if rng.random() < 0.55:
        return float(np.clip(rng.uniform(6.5, 11.0) * patient.weight_kg, 350.0, 1000.0))
    return float(rng.choice(_FIXED_ACTIVITIES) * rng.uniform(0.95, 1.05))


def sample_acquisition(
    rng: np.random.Generator,
    patient: Patient,
    *,
    kind: str = "baseline",
    index: int = 0,
    days_from_baseline: int = 0,
    baseline_day: datetime,
) -> Acquisition:
    """Draw the injection, uptake interval and sweep of one scan.

    The uptake interval is 2.5-4.5 h for most scans, with some early (2 h) and late (up to 6 h)
    ones. The activity is weight-based (6.5-11 MBq/kg) or one of the fixed activities departments
    use (370-1110 MBq); the table speed (8-30 cm/min) follows the activity loosely (about 15 cm/min for
    700 MBq, as the square root of the activity, log-normal spread 0.5), as departments set it
    towards their own count targets. The
    camera's resolution factor (0.8-1.5) spans sharp high-resolution cameras to older cameras and
    general-purpose collimators;
    40% of sweeps keep the anterior detector at one height instead of following the body's contour.
    """
    day = baseline_day + timedelta(days=days_from_baseline)
    injection = day.replace(hour=8, minute=0, second=0) + timedelta(minutes=int(rng.integers(0, 180)))
    pick = rng.random()
    if pick < 0.1:
        uptake = rng.uniform(1.9, 2.5)
    elif pick < 0.93:
        uptake = rng.uniform(2.5, 4.5)
    else:
        uptake = rng.uniform(4.5, 6.0)
    activity = _activity(rng, patient)
    speed = float(np.clip(15.0 * (activity / 700.0) ** 0.5 * math.exp(rng.normal(0.0, 0.5)), 8.0, 30.0))
    return Acquisition(
        kind=kind,
        index=index,
        days_from_baseline=days_from_baseline,
        injection_time=injection,
        uptake_h=round(float(uptake), 3),
        activity_mbq=round(activity, 1),
        scan_speed_cm_min=round(speed, 1),
        hours_since_void=float(rng.uniform(0.2, 1.5)),
        positioning=sample_positioning(rng, patient),
        resolution_factor=round(float(rng.uniform(0.8, 1.5)), 3),
        body_contour=bool(rng.random() < 0.6),
    )
