"""A small, seeded stick-figure bone scan for the reader tests (the real simulator is elsewhere).

It has what the readers look at and nothing more: a bright skull and spine on the midline, a trunk,
arms, two legs apart, soft tissue around them, and Poisson counts.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from bonescan.classify.features import FEATURE_NAMES
from bonescan.classify.model import FindingModel
from bonescan.detect.model import Spot, SpotKind, SpotMeasures
from bonescan.study import (
    PatientIdentity,
    PatientInfo,
    Study,
    StudyMetadata,
    View,
    ViewName,
)

ROWS, COLUMNS = 1024, 256
SPACING = (2.4, 2.4)
INJECTED = datetime(2026, 3, 2, 9, 0, 0)
ACQUIRED = datetime(2026, 3, 2, 12, 15, 0)


def _ellipse(rows: np.ndarray, cols: np.ndarray, r0: float, c0: float, rr: float, rc: float) -> np.ndarray:
    return ((rows - r0) / rr) ** 2 + ((cols - c0) / rc) ** 2 <= 1.0


def expected_counts(posterior: bool = False, top: int = 80, bottom: int = 900) -> np.ndarray:
    """Return the noiseless mean counts of an upright figure (counts per pixel)."""
    rows, cols = np.mgrid[0:ROWS, 0:COLUMNS].astype(float)
    length = bottom - top
    centre = COLUMNS / 2
    soft = np.zeros((ROWS, COLUMNS))
    head = _ellipse(rows, cols, top + 0.06 * length, centre, 0.06 * length, 30)
    trunk = (rows > top + 0.13 * length) & (rows < top + 0.52 * length) & (abs(cols - centre) < 60)
    arms = (rows > top + 0.15 * length) & (rows < top + 0.50 * length) & (abs(abs(cols - centre) - 80) < 12)
    legs = (rows >= top + 0.52 * length) & (rows <= bottom) & (abs(abs(cols - centre) - 28) < 18)
    soft[head | trunk | arms | legs] = 3.0
    bone = np.zeros_like(soft)
    bone[head] = 25.0
    spine = (rows > top + 0.12 * length) & (rows < top + 0.50 * length) & (abs(cols - centre) < 5)
    bone[spine] = 45.0 if posterior else 30.0
    bone[legs & (abs(abs(cols - centre) - 28) < 5)] = 25.0
    bladder = _ellipse(rows, cols, top + 0.47 * length, centre, 12, 18)
    bone[bladder] = 60.0 if not posterior else 40.0
    return soft + bone


def make_view(name: ViewName, seed: int = 0, scale: float = 2.0, **shape: int) -> View:
    """Return a Poisson view of the figure."""
    rng = np.random.default_rng(seed)
    mean = expected_counts(posterior=name is ViewName.POSTERIOR, **shape) * scale
    return View(name, rng.poisson(mean).astype(np.float32), SPACING)


def make_study(seed: int = 0, views: tuple[ViewName, ...] = tuple(ViewName), **kwargs: float) -> Study:
    """Return a two-view (or chosen-view) study with full metadata."""
    return Study(
        views=tuple(make_view(name, seed + index, **kwargs) for index, name in enumerate(views)),  # type: ignore[arg-type]
        metadata=StudyMetadata(
            study_instance_uid=f"1.2.826.0.1.3680043.8.498.{1000 + seed}",
            study_description="Whole Body Bone Scan",
            patient=PatientInfo(sex="F", age_years=67, height_cm=162, weight_kg=71),
            radiopharmaceutical="Tc-99m MDP",
            injected_activity_mbq=690,
            injection_time=INJECTED,
            acquisition_time=ACQUIRED,
        ),
        identity=PatientIdentity(name="Test^Phantom", patient_id=f"PH{seed:03d}"),
    )


def hot_spot(view: ViewName, rows: np.ndarray, columns: np.ndarray, region: str = "lumbar_spine") -> Spot:
    """Return a hot spot on the given pixels (1 mm pixels), 2.5 times normal bone, away from joints."""
    return Spot(
        view=view,
        kind=SpotKind.HOT,
        rows=rows,
        columns=columns,
        region=region,
        area_mm2=float(rows.size),
        peak_ratio=3.0,
        mean_ratio=2.5,
        significance=20.0,
        bone_fraction=1.0,
        normal_ratio=2.5,
        local_contrast=2.5,
        broad_contrast=2.5,
        relative_row=0.4,
        measures=SpotMeasures(2.0, 100.0, 1.0, 0.25),
        pixel_spacing_mm=(1.0, 1.0),
    )


def fixed_finding_model(
    probabilities: dict[str, float], second_reader: FindingModel | None = None
) -> FindingModel:
    """Return a finding classifier that gives every finding the same class ``probabilities``."""
    classes = tuple(probabilities)
    logits = np.log(np.array([probabilities[name] for name in classes]))
    width = len(FEATURE_NAMES)
    return FindingModel(
        classes,
        np.zeros(width),
        np.ones(width),
        lambda patches, features: np.tile(logits, (len(features), 1)),
        32,
        {},
        second_reader=second_reader,
    )
