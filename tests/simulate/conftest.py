"""Shared, session-scoped simulations: small, so that the simulator tests stay fast."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from bonescan.simulate.cohort import CohortConfig, write_cohort
from bonescan.simulate.patient import Acquisition, Patient, sample_acquisition, sample_patient

COHORT = CohortConfig(cases=6, seed=20240611, repeats=1, followups=2)


@pytest.fixture(scope="session")
def cohort_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small cohort with repeats and follow-ups, written once."""
    out = tmp_path_factory.mktemp("cohort") / "sim"
    return write_cohort(out, COHORT)


@pytest.fixture(scope="session")
def patient_and_acquisition() -> tuple[Patient, Acquisition]:
    rng = np.random.default_rng(12345)
    patient = sample_patient(rng, "M")
    acquisition = sample_acquisition(rng, patient, baseline_day=datetime(2024, 3, 4))
    return patient, acquisition
