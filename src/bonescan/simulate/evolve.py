"""How findings change between a patient's scans (follow-ups).

A patient's *course* decides the change at each follow-up:

* ``progression`` - lesions grow (radius x1.1-1.4, excess uptake x1.1-1.3) and 2-5 new ones appear;
* ``response`` - lesions shrink (radius x0.6-0.85, excess uptake halved) and a third resolve;
* ``stable`` - lesions stay (uptake within +-10%);
* ``flare`` - at the first follow-up lesions look brighter (excess uptake x1.3-1.6) and 1-2 new spots
  appear (healing lesions that were not visible); afterwards everything shrinks as in a response.

Benign bone findings stay (fractures fade); urine contamination and an injection site do not carry
over to another day and are listed as resolved. Resolved findings are kept in the truth with status
``resolved`` and are not drawn.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bonescan.simulate.findings import Finding, Spot
from bonescan.simulate.phantom import Body
from bonescan.simulate.sampling import sample_malignant

__all__ = ["COURSES", "evolve"]

COURSES = ("progression", "response", "stable", "flare")
_TRANSIENT = ("urine_contamination", "injection_site", "catheter_bag")


def _scale_spot(spot: Spot, radius: float, excess: float) -> Spot:
    ratio = 1.0 + (spot.ratio - 1.0) * excess if spot.ratio > 1.0 else spot.ratio
    return replace(spot, radius_mm=spot.radius_mm * radius, ratio=ratio)


def _change(finding: Finding, status: str, radius: float, excess: float) -> Finding:
    spots = tuple(_scale_spot(spot, radius, excess) for spot in finding.spots)
    return replace(finding, spots=spots, status=status)


def _malignant(finding: Finding, course: str, step: int, rng: np.random.Generator) -> Finding:
    if finding.kind == "super_scan":
        return replace(finding, status="stable")
    if course == "progression":
        return _change(finding, "grown", rng.uniform(1.1, 1.4), rng.uniform(1.1, 1.3))
    if course == "flare" and step == 1:
        return _change(finding, "flare", 1.0, rng.uniform(1.3, 1.6))
    if course in ("response", "flare"):
        if rng.random() < 0.33:
            return replace(finding, status="resolved")
        return _change(finding, "shrunk", rng.uniform(0.6, 0.85), 0.5)
    return _change(finding, "stable", 1.0, rng.uniform(0.9, 1.1))


def _benign(finding: Finding) -> Finding:
    if finding.kind in _TRANSIENT:
        return replace(finding, status="resolved")
    if finding.kind == "fracture":
        return _change(finding, "shrunk", 1.0, 0.6)
    return replace(finding, status="stable")


def evolve(
    previous: tuple[Finding, ...],
    *,
    course: str,
    step: int,
    primary: str | None,
    body: Body,
    rng: np.random.Generator,
) -> tuple[Finding, ...]:
    """Return the findings at follow-up ``step`` (1, 2, ...) from those of the scan before.

    Parameters
    ----------
    previous : tuple of Finding
        Findings of the previous scan (resolved ones are dropped).
    course : str
        One of :data:`COURSES`.
    step : int
        Follow-up number (the flare shows at step 1).
    primary : str or None
        Primary cancer, for drawing new lesions (none are drawn without one).
    body : Body
        The placed body, for anchoring new lesions.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    tuple of Finding
        Findings with their ``status``; they keep their ``lineage``, ids are renumbered 1, 2, ...
        over the drawn findings and resolved ones get id 0.
    """
    kept = [f for f in previous if f.status != "resolved"]
    changed = [_malignant(f, course, step, rng) if f.malignant else _benign(f) for f in kept]
    new_count = 0
    if course == "progression" and primary is not None:
        new_count = int(rng.integers(2, 6))
    elif course == "flare" and step == 1 and primary is not None:
        new_count = int(rng.integers(1, 3))
    if new_count and primary != "myeloma":
        fresh = sample_malignant(body, rng, primary or "prostate")
        fresh = [f for f in fresh if f.kind != "super_scan"][:new_count]
        status = "flare" if course == "flare" else "new"
        lineage = max((f.lineage for f in previous), default=0)
        changed.extend(replace(f, status=status, lineage=lineage + i + 1) for i, f in enumerate(fresh))
    return renumber(changed)


def renumber(findings: list[Finding]) -> tuple[Finding, ...]:
    """Give the drawn findings ids 1, 2, ... and the resolved ones id 0."""
    out, next_id = [], 1
    for finding in findings:
        if finding.status == "resolved":
            out.append(replace(finding, id=0))
        else:
            out.append(replace(finding, id=next_id))
            next_id += 1
    return tuple(out)
