"""Kinetics, resolution and attenuation follow the documented model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bonescan.simulate import physics
from bonescan.simulate.patient import Acquisition, Patient


def test_bone_to_soft_tissue_ratio_rises_with_uptake_time(
    patient_and_acquisition: tuple[Patient, Acquisition],
) -> None:
    patient, acquisition = patient_and_acquisition
    ratios = []
    for hours in (2.0, 3.0, 4.0, 6.0):
        kin = physics.kinetics(patient, replace(acquisition, uptake_h=hours))
        ratios.append(kin.bone / kin.soft_tissue)
    assert ratios == sorted(ratios)
    assert ratios[-1] / ratios[0] > 1.8


def test_lesion_uptake_keeps_rising_after_three_hours() -> None:
    factors = [physics.lesion_time_factor(t) for t in (2.0, 3.0, 4.0, 6.0)]
    assert factors == sorted(factors)
    assert factors[1] == pytest.approx(1.0)


def test_super_scan_moves_tracer_from_kidneys_to_bone(
    patient_and_acquisition: tuple[Patient, Acquisition],
) -> None:
    patient, acquisition = patient_and_acquisition
    normal = physics.kinetics(patient, acquisition)
    superscan = physics.kinetics(patient, acquisition, bone_boost=1.6, renal_factor=0.15)
    assert superscan.bone > normal.bone
    assert superscan.kidneys < 0.2 * normal.kidneys
    assert superscan.bladder < 0.2 * normal.bladder


@pytest.mark.parametrize(("distance", "low", "high"), [(50.0, 7.0, 8.5), (100.0, 8.5, 10.0)])
def test_collimator_resolution_is_clinical(distance: float, low: float, high: float) -> None:
    assert low <= physics.fwhm_mm(distance) <= high


def test_attenuation_is_narrow_beam_with_buildup() -> None:
    primary, scattered = physics.attenuation(100.0)
    assert primary == pytest.approx(np.exp(-1.5))
    assert 0 < scattered < primary


def test_slab_emission_matches_sum_of_point_sources() -> None:
    thickness = np.array([[200.0]], dtype=np.float32)
    primary, scattered = physics.slab_emission(thickness)
    depths = np.linspace(0.05, 199.95, 2000)
    numeric = sum(physics.attenuation(float(d))[0] for d in depths) * 0.1
    numeric_scatter = sum(physics.attenuation(float(d))[1] for d in depths) * 0.1
    assert float(primary[0, 0]) == pytest.approx(numeric, rel=1e-3)
    assert float(scattered[0, 0]) == pytest.approx(numeric_scatter, rel=1e-3)


def test_poisson_counts_are_whole_and_nonnegative() -> None:
    rng = np.random.default_rng(0)
    counts = physics.poisson_counts(np.array([[-1.0, 0.0, 5.5]], dtype=np.float32), rng)
    assert counts[0, 0] == 0 and counts[0, 1] == 0
    assert np.array_equal(counts, np.rint(counts))
