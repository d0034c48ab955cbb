"""A physics-based simulator of whole-body bone scans with exact ground truth.

The simulator builds a parametric adult body with a labelled skeleton (:mod:`.skeleton`,
:mod:`.phantom`), shares out the tracer by its kinetics, projects it onto the anterior and posterior
views with depth-dependent attenuation, collimator blur, scatter and Poisson noise (:mod:`.physics`,
:mod:`.render`, :mod:`.scan`), adds findings anchored to bone parts (:mod:`.findings`,
:mod:`.sampling`, :mod:`.evolve`) and writes NM DICOM files with their truth (:mod:`.output`,
:mod:`.truth`), one patient or a whole cohort (:mod:`.cohort`, :mod:`.cli`).

It may import only :mod:`bonescan.study`, :mod:`bonescan.regions`, :mod:`bonescan.errors` and
:mod:`bonescan.io.nm_writer` from bonescan; nothing in bonescan imports it.
"""

from bonescan.simulate.cohort import MIX, CohortConfig, plan_labels, simulate_case, write_cohort
from bonescan.simulate.scan import SimulatedScan, simulate_scan

__all__ = [
    "MIX",
    "CohortConfig",
    "SimulatedScan",
    "plan_labels",
    "simulate_case",
    "simulate_scan",
    "write_cohort",
]
