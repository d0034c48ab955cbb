"""``result.json``: the assessment as a JSON document with a fixed contract (schema version 1).

Fixed fields (more may be added, never removed or changed in meaning within a schema version)::

    {"schema_version": "1",
     "views": [{"view", "rows", "columns", "pixel_spacing_mm": [row, column]}],
     "hotspots": [{"view", "row", "column", "kind", "area_mm2", "region",
                   "metastasis_probability", "label"}],
     "patient": {"metastasis_probability", "bsi_percent", "hotspot_count", "impression"}}

``row``/``column`` are the spot's centroid, 0-based, in that view's pixel grid as stored in the input
(a posterior view is not mirrored; a head-down acquisition keeps its stored order). A finding seen in
both views appears once per view, with the same ``finding_id``. ``outline`` is the spot's edge as a
closed polygon of ``[row, column]`` vertices in the same grid (pixel centres; the polygon runs half a
pixel outside the spot's outer pixels).

``patient.pretest_probability`` is the probability the patient probability starts from (null when
neither a primary cancer with a default nor a probability was given: the patient model's own
prior), ``pretest_source`` where it comes from, and ``scan_likelihood_ratio`` how much the scan
multiplies the odds of metastases (:mod:`bonescan.assessment.pretest`).

``inputs`` names the files read (path, SHA-256, and for each view its file and frame) so that a
result can be traced and reports made again later; with ``anonymized`` set, paths are left out
and only the hashes kept.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
from skimage.measure import find_contours

from bonescan._version import __version__
from bonescan.assessment.model import Assessment
from bonescan.assessment.patient import LIKELY
from bonescan.classify.judge import JudgedFinding
from bonescan.detect.model import Spot
from bonescan.study import Study, View

__all__ = [
    "SCHEMA_VERSION",
    "file_sha256",
    "inputs_document",
    "result_document",
    "spot_outline",
    "without_paths",
]

SCHEMA_VERSION = "1"


def _round(value: float, places: int = 4) -> float:
    return round(float(value), places)


def spot_outline(spot: Spot, view: View) -> list[list[float]]:
    """Return the outer edge of a spot as ``[row, column]`` vertices in the view's stored grid."""
    top, left = int(spot.rows.min()) - 1, int(spot.columns.min()) - 1
    mask = np.zeros((int(spot.rows.max()) - top + 2, int(spot.columns.max()) - left + 2), dtype=np.float32)
    mask[spot.rows - top, spot.columns - left] = 1.0
    contour = max(find_contours(mask, 0.5), key=len)  # type: ignore[no-untyped-call]
    return [
        [_round(row, 2), _round(column, 2)]
        for row, column in (view.orientation.to_stored(r + top, c + left, view.shape) for r, c in contour)
    ]


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file, in hexadecimal."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inputs_document(study: Study, *, anonymized: bool = False) -> dict[str, Any]:
    """Return what was read: each file's hash (and path), and each view's file and frame."""
    files = []
    for path in study.sources:
        digest = file_sha256(path) if path.is_file() else None  # None: a study built in memory
        files.append({"sha256": digest} if anonymized else {"path": str(path.resolve()), "sha256": digest})
    index = {path: number for number, path in enumerate(study.sources)}
    return {
        "anonymized": anonymized,
        "files": files,
        "views": [
            {
                "view": view.name.value,
                "file": index[view.source.path],
                "frame": view.source.frame,
                "decided_by": view.source.view_rule,
                **({"columns": list(view.source.columns)} if view.source.columns is not None else {}),
            }
            for view in study.views
        ],
    }


def _hotspots(item: JudgedFinding, views: dict[str, View]) -> list[dict[str, Any]]:
    out = []
    for name, spot in item.finding.spots.items():
        view = views[name.value]
        row, column = view.orientation.to_stored(*spot.centroid, view.shape)
        out.append(
            {
                "view": name.value,
                "row": _round(row, 2),
                "column": _round(column, 2),
                "kind": spot.kind.value,
                "area_mm2": _round(spot.area_mm2, 1),
                "region": item.region,
                "metastasis_probability": _round(item.metastasis_probability),
                "label": item.label,
                "finding_id": item.number,
                "view_region": spot.region,
                "peak_ratio": _round(spot.peak_ratio, 3),
                "local_contrast": _round(spot.local_contrast, 3),
                "significance": _round(spot.significance, 1),
                "reasons": list(item.reasons),
                "outline": spot_outline(spot, view),
            }
        )
    return out


def _patient(assessment: Assessment) -> dict[str, Any]:
    pretest = assessment.pretest
    likely = [item for item in assessment.judged if item.metastasis_probability >= LIKELY]
    return {
        "metastasis_probability": _round(assessment.metastasis_probability),
        "bsi_percent": _round(assessment.bsi.percent),
        "hotspot_count": assessment.hotspot_count,
        "impression": assessment.impression,
        "primary_cancer": assessment.primary.value,
        "pretest_probability": _round(pretest.probability) if pretest else None,
        "pretest_source": pretest.source if pretest else None,
        "scan_likelihood_ratio": _round(assessment.scan_likelihood_ratio, 3),
        "super_scan": assessment.super_scan,
        "bsi_by_region": {
            name: _round(value) for name, value in sorted(assessment.bsi.region_percent.items())
        },
        "likely_lesion_area_mm2": _round(sum(item.finding.main.area_mm2 for item in likely), 1),
        "likely_lesion_mean_ratio": _round(
            sum(item.finding.main.mean_ratio for item in likely) / len(likely) if likely else 0.0, 3
        ),
    }


def without_paths(message: str, sources: tuple[Path, ...]) -> str:
    """Return a message with the input paths (which may name the patient) replaced by their number."""
    for number, path in enumerate(sources, start=1):
        for spelling in sorted({str(path.resolve()), str(path), path.name}, key=len, reverse=True):
            message = message.replace(spelling, f"input file {number}")
    return message


def result_document(assessment: Assessment, *, anonymized: bool = False) -> dict[str, Any]:
    """Return the assessment as the ``result.json`` document (see the module text)."""
    views = {view.name.value: view for view in assessment.study.views}
    return {
        "schema_version": SCHEMA_VERSION,
        "software": {"name": "bonescan", "version": __version__},
        "inputs": inputs_document(assessment.study, anonymized=anonymized),
        "views": [
            {
                "view": view.name.value,
                "rows": view.shape[0],
                "columns": view.shape[1],
                "pixel_spacing_mm": [float(view.pixel_spacing_mm[0]), float(view.pixel_spacing_mm[1])],
            }
            for view in assessment.study.views
        ],
        "hotspots": [spot for item in assessment.judged for spot in _hotspots(item, views)],
        "patient": _patient(assessment),
        "quality": [
            {
                "code": check.code,
                "severity": check.severity.value,
                "message": without_paths(check.message, assessment.study.sources)
                if anonymized
                else check.message,
            }
            for check in assessment.quality
        ],
        "anatomy": {"method": assessment.anatomy.method},
    }
