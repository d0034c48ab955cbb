"""Simulating one acquisition: a patient, their findings, one scan.

:func:`simulate_scan` builds the placed body, shares out the tracer, projects it onto both views with
attenuation, blurs each depth bin with its collimator resolution, adds scatter, scales to expected counts
and draws Poisson counts. It returns the counts and everything the truth needs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bonescan.simulate.findings import Finding
from bonescan.simulate.patient import Acquisition, Patient
from bonescan.simulate.phantom import Body, build_body
from bonescan.simulate.physics import (
    Kinetics,
    blur,
    expected_counts_scale,
    kinetics,
    poisson_counts,
)
from bonescan.simulate.render import Projection, mirror, project
from bonescan.simulate.scene import Scene, build_scene

__all__ = ["SimulatedScan", "simulate_scan"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimulatedScan:
    """One simulated acquisition, both views in their own grids (posterior not mirrored).

    Attributes
    ----------
    counts : ndarray of float32, shape (2, rows, cols)
        Poisson counts, anterior then posterior.
    expected : ndarray of float32, shape (2, rows, cols)
        Noiseless expected counts with the findings.
    expected_without : ndarray of float32, shape (2, rows, cols)
        Noiseless expected counts of the same scan without any finding.
    labels : ndarray of uint8, shape (2, rows, cols)
        Region label maps (region registry labels).
    finding_map : ndarray of uint16, shape (2, rows, cols)
        Finding id of each pixel, the finding that contributes most there (0 for none).
    finding_masks : dict of int to ndarray of bool, shape (2, rows, cols)
        Each drawn finding's own mask in both views: every pixel it changes, even where another
        finding dominates.
    body : Body
        The placed body (anterior grid).
    scene : Scene
        Emitters and volumes.
    kinetics : Kinetics
        Tracer distribution at the scan.
    """

    counts: NDArray[np.float32]
    expected: NDArray[np.float32]
    expected_without: NDArray[np.float32]
    labels: NDArray[np.uint8]
    finding_map: NDArray[np.uint16]
    finding_masks: dict[int, NDArray[np.bool_]]
    body: Body
    scene: Scene
    kinetics: Kinetics


def _super_scan_factors(findings: tuple[Finding, ...]) -> tuple[float, float]:
    if any(finding.diffuse for finding in findings):
        return 1.6, 0.15
    return 1.0, 1.0


def _images(
    proj: Projection, spacing: float, scale: float, factor: float
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    with_findings, without = [], []
    for view in range(2):
        base = blur(proj.base[view], spacing, factor)
        extra = blur(proj.findings[view], spacing, factor) if proj.findings[view].any() else 0.0
        total = np.maximum(base + extra, 0.0) * np.float32(scale)
        plain = np.maximum(base, 0.0) * np.float32(scale)
        if view == 1:
            total, plain = mirror(total), mirror(plain)
        with_findings.append(total.astype(np.float32))
        without.append(plain.astype(np.float32))
    return np.stack(with_findings), np.stack(without)


def simulate_scan(
    patient: Patient,
    acquisition: Acquisition,
    findings: tuple[Finding, ...],
    rng: np.random.Generator,
) -> SimulatedScan:
    """Simulate one whole-body acquisition of ``patient`` with ``findings``.

    Parameters
    ----------
    patient : Patient
        Who is scanned.
    acquisition : Acquisition
        When and how.
    findings : tuple of Finding
        What is wrong (anchored to bone parts).
    rng : numpy.random.Generator
        Source of the Poisson noise.
    """
    boost, renal = _super_scan_factors(findings)
    kin = kinetics(patient, acquisition, bone_boost=boost, renal_factor=renal)
    body = build_body(patient, acquisition.positioning, kin.bladder_ml)
    scene = build_scene(body, kin, findings, patient, acquisition.uptake_h)
    area = body.frame.spacing_mm**2
    gap = None if acquisition.body_contour else (body.thickness.max() - body.thickness)
    proj = project(
        scene.emitters, body.thickness, scene.soft_concentration, area, scene.metals, scene.soft_field, gap
    )
    expected, without = _images(
        proj, body.frame.spacing_mm, expected_counts_scale(acquisition), acquisition.resolution_factor
    )
    counts = np.stack([poisson_counts(view, rng) for view in expected])
    labels = np.stack([proj.labels[0], mirror(proj.labels[1])])
    finding_map = np.stack([proj.finding_map[0], mirror(proj.finding_map[1])])
    logger.debug(
        "scan %s/%d: %.2f and %.2f million counts",
        acquisition.kind,
        acquisition.index,
        counts[0].sum() / 1e6,
        counts[1].sum() / 1e6,
    )
    masks = {key: np.stack([mask, mirror(mask)]) for key, mask in proj.footprints.items()}
    return SimulatedScan(counts, expected, without, labels, finding_map, masks, body, scene, kin)
