"""``result.json``: the assessment as a JSON document with a fixed contract (schema version 1).

Fixed fields (more may be added, never removed or changed in meaning within a schema version)::

    {"schema_version": "1",
     "views": [{"view", "rows", "columns", "pixel_spacing_mm": [row, column]}],
     "hotspots": [{"view", "row", "column", "kind", "area_mm2", "region",
                   "metastasis_probability", "label"}],
     "patient": {"metastasis_probability", "bsi_percent", "hotspot_count", "impression"}}

``row``/``column`` are the spot's centroid, 0-based, in that view's pixel grid as stored in the input
(a posterior view is not mirrored; a head-down acquisition keeps its stored order). A finding seen in
both views appears once per view, with the same ``finding_id``.
"""

from __future__ import annotations

from typing import Any

from bonescan._version import __version__
from bonescan.assessment.model import Assessment
from bonescan.assessment.patient import LIKELY
from bonescan.classify.judge import JudgedFinding
from bonescan.study import View

__all__ = ["SCHEMA_VERSION", "result_document"]

SCHEMA_VERSION = "1"


def _round(value: float, places: int = 4) -> float:
    return round(float(value), places)


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
            }
        )
    return out


def _patient(assessment: Assessment) -> dict[str, Any]:
    likely = [item for item in assessment.judged if item.metastasis_probability >= LIKELY]
    return {
        "metastasis_probability": _round(assessment.metastasis_probability),
        "bsi_percent": _round(assessment.bsi.percent),
        "hotspot_count": assessment.hotspot_count,
        "impression": assessment.impression,
        "primary_cancer": assessment.primary.value,
        "super_scan": assessment.super_scan,
        "bsi_by_region": {
            name: _round(value) for name, value in sorted(assessment.bsi.region_percent.items())
        },
        "likely_lesion_area_mm2": _round(sum(item.finding.main.area_mm2 for item in likely), 1),
        "likely_lesion_mean_ratio": _round(
            sum(item.finding.main.mean_ratio for item in likely) / len(likely) if likely else 0.0, 3
        ),
    }


def result_document(assessment: Assessment) -> dict[str, Any]:
    """Return the assessment as the ``result.json`` document (see the module text)."""
    views = {view.name.value: view for view in assessment.study.views}
    return {
        "schema_version": SCHEMA_VERSION,
        "software": {"name": "bonescan", "version": __version__},
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
            {"code": check.code, "severity": check.severity.value, "message": check.message}
            for check in assessment.quality
        ],
        "anatomy": {"method": assessment.anatomy.method},
    }
