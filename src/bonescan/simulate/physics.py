"""Imaging physics: tracer kinetics, attenuation, collimator blur, scatter and Poisson counting.

Tracer kinetics
---------------
Fractions of the injected activity (decay corrected) at ``t`` hours after injection:

* bone: ``B(t) = B_inf * (1 - exp(-t / 0.7))``;
* soft tissue (blood and extracellular fluid): ``S(t) = (1 - B_inf) * (a * exp(-t / tau) +
  (1 - a) * exp(-t / tau_slow))`` with ``tau`` the patient's fast clearance (about 0.9 h), ``tau_slow``
  their slow one (about 7 h, log-normal spread 0.3, longer with poor renal function) and ``a`` 0.3
  (less with poor renal function);
* kidneys: ``0.012 * renal * S(t) / S(3)``; bladder: ``0.2 * renal * S(t) * hours since voiding``.

So the bone-to-soft-tissue ratio rises with the uptake interval (by about 2.8 times from 2 h to 6 h) and
lesions, whose uptake keeps rising after normal bone has saturated, gain contrast (see
:func:`lesion_time_factor`).

Counts
------
Expected counts = activity (MBq) x 2^(-t / 6.01 h) x system sensitivity (75 cps/MBq, LEHR) x dwell time
(40 cm detector / table speed) x attenuated fraction. Attenuation is narrow-beam, mu = 0.15 /cm in soft
tissue, along the straight path from each structure to the camera. Compton scatter accepted in the
20% window follows a linear build-up: a source at depth ``d`` adds ``b * mu * d * exp(-mu * d)``
(``b`` = 0.5) of scattered counts, spread with a Gaussian of 25 mm sigma, so deep structures lose less
than narrow-beam attenuation says.

Resolution
----------
The collimator's FWHM grows with the distance from the collimator (:func:`fwhm_mm`); structures are
blurred in five distance bins. Each acquisition scales the FWHM by its camera's resolution factor
(0.8-1.5), and a sweep that keeps the anterior detector at one height adds the air between the body
and the detector to the distance (see :func:`depth_bin`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from bonescan.simulate.patient import Acquisition, Patient

__all__ = [
    "DEPTH_BINS_MM",
    "MU_PER_MM",
    "Kinetics",
    "attenuation",
    "blur_sigma_px",
    "expected_counts_scale",
    "fwhm_mm",
    "kinetics",
    "lesion_time_factor",
    "poisson_counts",
    "slab_emission",
]

MU_PER_MM = 0.015
HALF_LIFE_H = 6.01
SENSITIVITY_CPS_PER_MBQ = 75.0
DETECTOR_LENGTH_CM = 40.0
BUILDUP = 0.5
SCATTER_SIGMA_MM = 25.0
COLLIMATOR_GAP_MM = 35.0
#: Upper edges of the distance-from-collimator bins (mm); each bin is blurred at its centre distance.
DEPTH_BINS_MM = (70.0, 120.0, 180.0, 260.0, 1e9)
_BIN_CENTRES_MM = (50.0, 95.0, 150.0, 215.0, 310.0)
#: Index of the layer holding scattered counts (after the depth bins).
SCATTER_LAYER = len(DEPTH_BINS_MM)


@dataclass(frozen=True)
class Kinetics:
    """Fractions of the injected activity in each compartment at the scan, decay corrected."""

    bone: float
    soft_tissue: float
    kidneys: float
    bladder: float
    bladder_ml: float


def _soft(patient: Patient, t: float, bone_inf: float) -> float:
    fast = 0.3 * math.pow(min(patient.renal_function, 1.0), 0.3)
    tau, slow = patient.soft_tissue_clearance_h, patient.soft_tissue_retention_h
    return (1.0 - bone_inf) * (fast * math.exp(-t / tau) + (1.0 - fast) * math.exp(-t / slow))


def kinetics(
    patient: Patient,
    acquisition: Acquisition,
    *,
    bone_boost: float = 1.0,
    renal_factor: float = 1.0,
) -> Kinetics:
    """Return the tracer distribution at the scan.

    Parameters
    ----------
    patient, acquisition
        Who is scanned and when.
    bone_boost : float
        Factor on the bone-bound fraction (a super scan binds up to 1.6 times more in bone).
    renal_factor : float
        Factor on kidney and bladder activity (a super scan leaves them faint).
    """
    t = acquisition.uptake_h
    bone_inf = min(patient.bone_uptake * bone_boost, 0.9)
    bone = bone_inf * (1.0 - math.exp(-t / 0.7))
    soft = _soft(patient, t, bone_inf)
    reference = _soft(patient, 3.0, bone_inf)
    renal = patient.renal_function * renal_factor
    kidneys = 0.012 * renal * soft / max(reference, 1e-6)
    bladder = 0.2 * renal * soft * acquisition.hours_since_void
    bladder_ml = 60.0 + 120.0 * acquisition.hours_since_void * patient.renal_function
    return Kinetics(bone, soft, kidneys, bladder, bladder_ml)


def lesion_time_factor(uptake_h: float) -> float:
    """Return how much of a hot lesion's excess uptake (at 3 h = 1) is reached ``uptake_h`` after injection.

    ``g(t) = (1 - exp(-t / 2.5)) / (1 - exp(-3 / 2.5))``: 0.80 at 2 h, 1.13 at 4 h, 1.28 at 6 h.
    """
    return (1.0 - math.exp(-uptake_h / 2.5)) / (1.0 - math.exp(-3.0 / 2.5))


def expected_counts_scale(acquisition: Acquisition) -> float:
    """Return expected counts per unit of attenuated fraction of the injected activity."""
    decay = math.pow(2.0, -acquisition.uptake_h / HALF_LIFE_H)
    dwell_s = DETECTOR_LENGTH_CM / acquisition.scan_speed_cm_min * 60.0
    return acquisition.activity_mbq * decay * SENSITIVITY_CPS_PER_MBQ * dwell_s


def fwhm_mm(distance_mm: float) -> float:
    """System resolution (FWHM, mm) of a LEHR collimator at ``distance_mm`` from its face.

    ``sqrt(3.5^2 + (5 + 0.04 d)^2)``: 7.8 mm at 5 cm, 9.6 mm at 10 cm, 11.5 mm at 15 cm (a
    whole-body sweep keeps the collimator a few centimetres off the body).
    """
    return math.hypot(3.5, 5.0 + 0.04 * distance_mm)


def depth_bin(depth_mm: float, extra_gap_mm: float = 0.0) -> int:
    """Return the blur bin of a structure ``depth_mm`` below the skin facing the camera.

    ``extra_gap_mm`` is air between that skin and the collimator beyond the usual gap (a sweep
    that does not follow the body's contour).
    """
    distance = COLLIMATOR_GAP_MM + extra_gap_mm + depth_mm
    for index, edge in enumerate(DEPTH_BINS_MM):
        if distance < edge:
            return index
    return len(DEPTH_BINS_MM) - 1


def blur_sigma_px(index: int, spacing_mm: float, factor: float = 1.0) -> float:
    """Gaussian sigma (pixels) of blur bin ``index`` (the scatter layer is the broadest).

    ``factor`` scales the system FWHM (the acquisition's camera and collimator); the scatter spread
    does not depend on it.
    """
    if index == SCATTER_LAYER:
        return SCATTER_SIGMA_MM / spacing_mm
    fwhm = fwhm_mm(_BIN_CENTRES_MM[index]) * factor
    return fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0))) / spacing_mm


def blur(layers: NDArray[np.float32], spacing_mm: float, factor: float = 1.0) -> NDArray[np.float32]:
    """Blur each layer (depth bins, then scatter; shape layers x rows x cols) and sum them.

    ``factor`` scales the system FWHM of every depth bin (see :func:`blur_sigma_px`).
    """
    total = np.zeros(layers.shape[1:], dtype=np.float32)
    for index in range(layers.shape[0]):
        if np.any(layers[index]):
            sigma = blur_sigma_px(index, spacing_mm, factor)
            total += ndimage.gaussian_filter(layers[index], sigma, mode="constant")
    return total


def attenuation(depth_mm: float) -> tuple[float, float]:
    """Return the primary and the scattered fraction reaching the camera from ``depth_mm``."""
    primary = math.exp(-MU_PER_MM * max(depth_mm, 0.0))
    return primary, BUILDUP * MU_PER_MM * max(depth_mm, 0.0) * primary


def slab_emission(thickness: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Return primary and scattered emission (mm, per unit concentration) of a uniform slab.

    ``integral of exp(-mu s) ds`` and ``b * mu * integral of s exp(-mu s) ds`` over 0..thickness.
    """
    decay = np.exp(-MU_PER_MM * thickness)
    primary = (1.0 - decay) / MU_PER_MM
    scattered = BUILDUP / MU_PER_MM * (1.0 - decay * (1.0 + MU_PER_MM * thickness))
    return primary.astype(np.float32), scattered.astype(np.float32)


def poisson_counts(expected: NDArray[np.float32], rng: np.random.Generator) -> NDArray[np.float32]:
    """Draw Poisson counts with the given expected values (negative values count as zero)."""
    counts = rng.poisson(np.maximum(expected, 0.0).astype(np.float64))
    return counts.astype(np.float32)
