"""The simulated patient and one acquisition of that patient, and how both are sampled.

A :class:`Patient` holds what stays the same from scan to scan (sex, age, body size and build, how
their bones take up tracer); an :class:`Acquisition` holds what changes with every scan (injected
activity, uptake interval, scan speed, bladder filling, positioning on the table).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    renal_function : float
        Relative kidney activity and urine production (1 normal).
    joint_uptake : float
        Age-related extra uptake at the large joints, as a factor on their normal uptake.
    uptake_seed : int
        Seed of the patient's own small variations of uptake from bone part to bone part (about 10%),
        the same in every scan of the patient.
    breast_size : float
        Size of the breasts (0 for men; about 0.6-1.5 for women), which attenuate the anterior chest.
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

    @property
    def acquisition_time(self) -> datetime:
        """Start of the whole-body sweep (rounded to the second)."""
        return self.injection_time + timedelta(seconds=round(self.uptake_h * 3600.0))


def sample_patient(rng: np.random.Generator, sex: str | None = None) -> Patient:
    """Draw a patient of a bone-scan population (mostly 50-85 years old).

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
    bmi = float(np.clip(rng.lognormal(math.log(26.0), 0.16), 17.5, 42.0))
    weight = bmi * (height / 1000.0) ** 2
    abduction = (float(rng.uniform(2.0, 12.0)), float(rng.uniform(2.0, 12.0)))
    elbow = (float(rng.uniform(4.0, 22.0)), float(rng.uniform(4.0, 22.0)))
    renal = float(np.clip(rng.normal(1.0 - 0.006 * max(age - 60.0, 0.0), 0.15), 0.35, 1.3))
    return Patient(
        sex=chosen,
        age_years=round(age, 1),
        height_mm=round(height, 1),
        weight_kg=round(weight, 1),
        build=math.sqrt(bmi / 25.0),
        abduction_deg=abduction,
        elbow_deg=elbow,
        palms_up=bool(rng.random() < 0.3),
        bone_uptake=float(rng.uniform(0.42, 0.58)),
        soft_tissue_clearance_h=float(0.9 / renal**0.5 * rng.uniform(0.85, 1.15)),
        renal_function=renal,
        joint_uptake=1.0 + 0.008 * max(age - 35.0, 0.0) * float(rng.uniform(0.6, 1.4)),
        uptake_seed=int(rng.integers(0, 2**31)),
        breast_size=float(rng.uniform(0.6, 1.3) * bmi / 26.0) if chosen == "F" else 0.0,
    )


def sample_positioning(rng: np.random.Generator, patient: Patient) -> Positioning:
    """Draw a small in-plane rotation and shift, and the head margin that keeps the feet in view."""
    free = FIELD_ROWS * PIXEL_SPACING_MM - patient.height_mm - 20.0
    top = float(rng.uniform(15.0, max(min(free, 220.0), 16.0)))
    return Positioning(
        rotation_deg=float(rng.normal(0.0, 1.2)),
        offset_x_mm=float(rng.normal(0.0, 8.0)),
        top_margin_mm=top,
    )


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
    ones; the activity follows about 10 MBq/kg within 500-925 MBq, and the table speed (about 15 cm/min
    for 700 MBq) rises with the activity, as departments set it to reach similar counts.
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
    activity = float(np.clip(10.0 * patient.weight_kg * rng.uniform(0.9, 1.1), 500.0, 925.0))
    return Acquisition(
        kind=kind,
        index=index,
        days_from_baseline=days_from_baseline,
        injection_time=injection,
        uptake_h=round(float(uptake), 3),
        activity_mbq=round(activity, 1),
        scan_speed_cm_min=round(
            float(np.clip(15.0 * activity / 700.0 * rng.uniform(0.85, 1.15), 10.0, 24.0)), 1
        ),
        hours_since_void=float(rng.uniform(0.2, 1.5)),
        positioning=sample_positioning(rng, patient),
    )
