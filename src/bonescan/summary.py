"""A study summary for people (text) and programs (JSON-ready dictionaries)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bonescan._version import __version__
from bonescan.study import Study, View

__all__ = ["format_summary", "study_summary"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def _view_summary(view: View) -> dict[str, Any]:
    rows, columns = view.shape
    return {
        "view": str(view.name),
        "rows": rows,
        "columns": columns,
        "pixel_spacing_mm": list(view.pixel_spacing_mm),
        "total_counts": view.total_counts,
        "declared_counts": view.declared_counts,
        "max_value": float(view.counts.max()),
        "patient_left_on": str(view.patient_left),
        "view_decided_by": view.source.view_rule,
        "orientation": {
            "turned_180_degrees": view.orientation.flip_rows and view.orientation.flip_columns,
            "flip_rows": view.orientation.flip_rows,
            "flip_columns": view.orientation.flip_columns,
            "decided_by": view.orientation.decided_by,
        },
        "source": {
            "path": str(view.source.path),
            "frame": view.source.frame,
            **({"columns": list(view.source.columns)} if view.source.columns is not None else {}),
        },
    }


def study_summary(study: Study, *, include_identity: bool = False) -> dict[str, Any]:
    """Return the study as a JSON-ready dictionary.

    Parameters
    ----------
    study : Study
        The loaded study.
    include_identity : bool
        Add the patient's name, ID and birth date; left out by default.
    """
    metadata = study.metadata
    summary: dict[str, Any] = {
        "bonescan_version": __version__,
        "pixel_values": str(study.pixel_values),
        "views": [_view_summary(view) for view in study.views],
        "metadata": _jsonable(asdict(metadata)),
        "uptake_interval_hours": metadata.uptake_interval_hours,
        "quality": [
            {
                "code": check.code,
                "severity": str(check.severity),
                "message": check.message,
                "view": str(check.view) if check.view else None,
            }
            for check in study.quality
        ],
    }
    if include_identity:
        summary["identity"] = _jsonable(asdict(study.identity))
    return summary


def _line(label: str, value: object) -> str:
    return f"  {label:<22}{value}"


def _format_view(view: dict[str, Any]) -> list[str]:
    spacing = " × ".join(f"{value:g}" for value in view["pixel_spacing_mm"])
    side = view["patient_left_on"].replace("_", " ")
    return [
        f"{view['view'].capitalize()} view",
        _line("size", f"{view['rows']}×{view['columns']} pixels, {spacing} mm"),
        _line("total counts", f"{view['total_counts']:,.0f}"),
        _line("patient left", f"on the {side}"),
        _line("view decided by", view["view_decided_by"]),
        _line("orientation", view["orientation"]["decided_by"]),
        _line("source", f"{view['source']['path']} (frame {view['source']['frame'] + 1})"),
    ]


def _format_metadata(summary: dict[str, Any]) -> list[str]:
    meta = summary["metadata"]
    patient = meta["patient"]
    camera = meta["camera"]
    hours = summary["uptake_interval_hours"]
    facts = [
        ("study date", meta["study_date"]),
        ("description", meta["study_description"]),
        (
            "sex / age",
            f"{patient['sex'] or '?'} / "
            f"{'?' if patient['age_years'] is None else round(patient['age_years'])}",
        ),
        ("radiopharmaceutical", meta["radiopharmaceutical"]),
        (
            "injected activity",
            f"{meta['injected_activity_mbq']:g} MBq" if meta["injected_activity_mbq"] else None,
        ),
        ("uptake interval", f"{hours:.1f} h" if hours is not None else "unknown"),
        ("camera", " ".join(filter(None, [camera["manufacturer"], camera["model"]])) or None),
        ("study UID", meta["study_instance_uid"]),
    ]
    return [_line(label, value) for label, value in facts if value]


def format_summary(summary: dict[str, Any]) -> str:
    """Return the summary from :func:`study_summary` as text for a terminal."""
    views = summary["views"]
    names = " and ".join(view["view"] for view in views)
    lines = [f"Whole-body bone scan: {len(views)} view{'s' if len(views) > 1 else ''} ({names})"]
    if summary["pixel_values"] != "counts":
        lines.append("  pixel values are display levels, not counts")
    lines += _format_metadata(summary)
    identity = summary.get("identity")
    if identity:
        lines.append(_line("patient", f"{identity['name'] or '?'} (ID {identity['patient_id'] or '?'})"))
    for view in views:
        lines += _format_view(view)
    lines.append("Quality checks")
    if not summary["quality"]:
        lines.append("  none raised")
    for check in summary["quality"]:
        lines.append(f"  [{check['severity']}] {check['code']}: {check['message']}")
    return "\n".join(lines)
