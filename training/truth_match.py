"""Which simulator-truth finding a detected finding shows: the labels that the classifier learns from.

Only the training script and the evaluation use this module; the analysis never reads truth. A detected
finding shows a truth finding when, in a view both have, its centre (in the stored grid of that view)
lies inside the truth's bounding box grown by :data:`MATCH_MARGIN_MM`, and their polarities agree (a
mixed truth, such as a prosthesis, matches hot and cold). The nearest truth centre wins.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from bonescan.detect.model import Finding
from bonescan.study import Study

__all__ = ["MATCH_MARGIN_MM", "TRUTH_CLASSES", "matching_truth", "truth_class"]

MATCH_MARGIN_MM = 8.0

#: The classifier's class for each simulator truth kind.
TRUTH_CLASSES: dict[str, str] = {
    "metastasis": "metastasis",
    "lytic_metastasis": "myeloma_or_lytic",
    "myeloma": "myeloma_or_lytic",
    "degenerative": "degenerative",
    "fracture": "fracture",
    "paget": "paget",
    "osteomyelitis": "osteomyelitis",
    "prosthesis": "prosthesis_related",
    "urine_contamination": "artefact",
    "injection_site": "artefact",
}


def truth_class(kind: str) -> str | None:
    """Return the classifier class of a truth kind (None for diffuse kinds such as a super scan)."""
    return TRUTH_CLASSES.get(kind)


def _distance(finding: Finding, truth: Mapping[str, Any], study: Study, spacing: float) -> float | None:
    best = None
    for view in study.views:
        spot = finding.spots.get(view.name)
        where = truth.get("views", {}).get(view.name.value)
        if spot is None or not where:
            continue
        polarity = truth.get("polarity")
        if polarity not in (spot.kind.value, "mixed"):
            continue
        row, column = view.orientation.to_stored(*spot.centroid, view.shape)
        top, bottom, left, right = where["bbox"]
        margin = MATCH_MARGIN_MM / spacing
        if top - margin <= row <= bottom + margin and left - margin <= column <= right + margin:
            centre = where["centre"]
            distance = math.hypot(row - centre[0], column - centre[1])
            best = distance if best is None else min(best, distance)
    return best


def matching_truth(finding: Finding, truth: Mapping[str, Any], study: Study) -> Mapping[str, Any] | None:
    """Return the truth finding that ``finding`` shows, or None."""
    spacing = float(truth["image"]["pixel_spacing_mm"])
    candidates = []
    for entry in truth.get("findings", []):
        if entry.get("status") == "resolved" or truth_class(entry["kind"]) is None:
            continue
        distance = _distance(finding, entry, study, spacing)
        if distance is not None:
            candidates.append((distance, entry["id"], entry))
    return min(candidates, key=lambda item: (item[0], item[1]))[2] if candidates else None
