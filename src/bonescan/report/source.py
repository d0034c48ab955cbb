"""What every report is made from: the stored result, the study's images and the region labels.

Reports are always made from a result folder's contents (``result.json``, ``anatomy.npz``, the
physician's ``confirmation.json`` if any) and the input images, whether right after the analysis
(:func:`report_source`) or later (:func:`load_report_source`, which reads the inputs again and checks
that they have not changed). Both routes give the same :class:`ReportSource`, so a report made later
is the report made at the time.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bonescan.assessment import Assessment, result_document
from bonescan.assessment.result import SCHEMA_VERSION, file_sha256, without_paths
from bonescan.errors import InputError
from bonescan.io import load_study
from bonescan.study import Study, View, ViewName

__all__ = [
    "ANATOMY_FILE",
    "CONFIRMATION_FILE",
    "RESULT_FILE",
    "Confirmation",
    "ReportFinding",
    "ReportSource",
    "anonymized_source",
    "anonymized_study",
    "load_report_source",
    "report_source",
]

RESULT_FILE = "result.json"
ANATOMY_FILE = "anatomy.npz"
CONFIRMATION_FILE = "confirmation.json"
_RASTER = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}


@dataclass(frozen=True)
class Confirmation:
    """A physician's sign-off of a result (``bonescan confirm``)."""

    physician: str
    confirmed_at: datetime
    comment: str = ""

    def as_dict(self) -> dict[str, str]:
        """Return it as written to ``confirmation.json``."""
        return {
            "physician": self.physician,
            "confirmed_at": self.confirmed_at.isoformat(timespec="seconds"),
            "comment": self.comment,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Confirmation:
        """Read it back from ``confirmation.json``."""
        return cls(str(data["physician"]), datetime.fromisoformat(data["confirmed_at"]), str(data["comment"]))


@dataclass(frozen=True)
class ReportFinding:
    """One reported finding, gathered from its hotspot entries (one per view that shows it).

    Attributes
    ----------
    number : int
        Its number in the study (``finding_id``), top to bottom.
    region, kind, label : str
        Where it is, hot or cold, and its label.
    metastasis_probability : float
        Its calibrated probability of being a metastasis.
    reasons : tuple of str
        The measurements behind the judgement, in words.
    spots : dict of ViewName to dict
        Its ``result.json`` hotspot entry in each view that shows it (stored grid).
    """

    number: int
    region: str
    kind: str
    label: str
    metastasis_probability: float
    reasons: tuple[str, ...]
    spots: dict[ViewName, dict[str, Any]] = field(default_factory=dict)

    @property
    def views(self) -> tuple[ViewName, ...]:
        """The views that show it, anterior first."""
        return tuple(name for name in ViewName if name in self.spots)


@dataclass(frozen=True, eq=False)
class ReportSource:
    """A result with its images: everything a report needs.

    Attributes
    ----------
    document : dict
        ``result.json`` (:mod:`bonescan.assessment.result`).
    study : Study
        The study as read (identity left out when ``anonymized``).
    labels : dict of ViewName to ndarray of uint8
        The region label map of each view, upright like the views (:mod:`bonescan.regions`).
    anonymized : bool
        Whether identifying data must be left out of every output.
    confirmation : Confirmation or None
        The physician's sign-off, if given.
    """

    document: dict[str, Any]
    study: Study
    labels: dict[ViewName, NDArray[np.uint8]]
    anonymized: bool = False
    confirmation: Confirmation | None = None

    @property
    def patient(self) -> dict[str, Any]:
        """The ``patient`` part of the result."""
        patient: dict[str, Any] = self.document["patient"]
        return patient

    def findings(self) -> list[ReportFinding]:
        """Return the reported findings in number order, each with its spot in every view."""
        entries: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for entry in self.document["hotspots"]:
            entries[int(entry["finding_id"])].append(entry)
        findings = []
        for number in sorted(entries):
            first = entries[number][0]
            findings.append(
                ReportFinding(
                    number=number,
                    region=first["region"],
                    kind=first["kind"],
                    label=first["label"],
                    metastasis_probability=float(first["metastasis_probability"]),
                    reasons=tuple(first.get("reasons", ())),
                    spots={ViewName(entry["view"]): entry for entry in entries[number]},
                )
            )
        return findings

    def upright_outline(self, view: View, entry: dict[str, Any]) -> NDArray[np.float64]:
        """Return a hotspot entry's outline as (n, 2) ``[row, column]`` in the view's upright grid."""
        stored = np.asarray(entry["outline"], dtype=np.float64).reshape(-1, 2)
        upright = [view.orientation.from_stored(row, column, view.shape) for row, column in stored]
        return np.asarray(upright, dtype=np.float64).reshape(-1, 2)


#: Ages above this are reported as this age when anonymized (a very old age can identify a person).
_OLDEST_AGE_SHOWN = 90.0


def anonymized_study(study: Study) -> Study:
    """Return ``study`` without identity and without dates (sex and age, capped at 90, are kept).

    Dates of a patient's care identify them as much as a name; the uptake interval goes with them.
    """
    metadata = study.metadata
    age = metadata.patient.age_years
    patient = dataclasses.replace(
        metadata.patient, age_years=None if age is None else min(age, _OLDEST_AGE_SHOWN)
    )
    undated = dataclasses.replace(
        metadata, study_date=None, injection_time=None, acquisition_time=None, patient=patient
    )
    views = tuple(dataclasses.replace(view, acquisition_time=None) for view in study.views)
    return dataclasses.replace(study.without_identity(), metadata=undated, views=views)


def anonymized_source(source: ReportSource) -> ReportSource:
    """Return ``source`` with identifying data left out of everything a report is made from.

    The study loses its identity and dates (:func:`anonymized_study`) and the result's quality
    messages their input paths.
    """
    sources = source.study.sources
    quality = [
        {**check, "message": without_paths(str(check["message"]), sources)}
        for check in source.document.get("quality", [])
    ]
    return dataclasses.replace(
        source,
        document={**source.document, "quality": quality},
        study=anonymized_study(source.study),
        anonymized=True,
    )


def report_source(assessment: Assessment, *, anonymized: bool = False) -> ReportSource:
    """Return the report source of a fresh analysis."""
    labels = {}
    for view in assessment.study.views:
        anatomy = assessment.anatomy.view(view.name)
        if anatomy is not None:
            labels[view.name] = anatomy.labels
    source = ReportSource(result_document(assessment, anonymized=anonymized), assessment.study, labels)
    return anonymized_source(source) if anonymized else source


def stored_labels(source: ReportSource) -> dict[str, NDArray[np.uint8]]:
    """Return the label maps in each view's stored grid, keyed ``labels_<view>`` (``anatomy.npz``)."""
    out = {}
    for view in source.study.views:
        if view.name in source.labels:
            out[f"labels_{view.name.value}"] = view.orientation.apply(source.labels[view.name])
    return out


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(path, "not found; give a folder written by bonescan analyze") from None
    except (OSError, ValueError) as error:
        raise InputError(path, f"cannot be read as JSON ({error})") from None
    if not isinstance(data, dict):
        raise InputError(path, "does not hold a JSON object")
    return data


def _match_inputs(document: dict[str, Any], result: Path, given: tuple[Path, ...]) -> list[Path]:
    """Return the input files in result order: the recorded paths, or the given files matched by hash."""
    recorded = document.get("inputs", {}).get("files", [])
    if not recorded:
        raise InputError(result, "names no input files; it was written by an older bonescan, analyse again")
    by_hash = {file_sha256(path): path for path in given if path.is_file()}
    paths = []
    for entry in recorded:
        digest = entry.get("sha256")
        if digest in by_hash:
            paths.append(by_hash[digest])
            continue
        if "path" not in entry:
            raise InputError(
                result, "is anonymized and names no input paths; give the input files with --input"
            )
        path = Path(entry["path"])
        if not path.is_file():
            raise InputError(path, "an input of this result is missing; give it with --input")
        if digest is not None and file_sha256(path) != digest:
            raise InputError(path, "has changed since the analysis (its SHA-256 differs); analyse again")
        paths.append(path)
    return paths


def _reload_study(document: dict[str, Any], paths: list[Path]) -> Study:
    """Read the inputs again the way the analysis read them."""
    views = document["inputs"]["views"]
    spacing = {entry["view"]: tuple(entry["pixel_spacing_mm"]) for entry in document["views"]}
    if all(path.suffix.lower() in _RASTER for path in paths):
        by_view = {entry["view"]: paths[entry["file"]] for entry in views}
        first = next(iter(spacing.values()))
        return load_study(
            anterior=by_view.get("anterior"),
            posterior=by_view.get("posterior"),
            pixel_spacing_mm=(float(first[0]), float(first[1])),
        )
    single = views[0]["view"] if len(views) == 1 else None
    return load_study(paths, view=single)


def load_report_source(
    folder: str | Path, *, inputs: tuple[Path, ...] = (), anonymized: bool | None = None
) -> ReportSource:
    """Read a result folder written by ``bonescan analyze`` and the inputs it names.

    Parameters
    ----------
    folder : path
        The result folder (``result.json``, ``anatomy.npz``, optionally ``confirmation.json``).
    inputs : tuple of Path
        Input files to use instead of the recorded paths (matched by SHA-256); needed for an
        anonymized result, whose paths were not recorded.
    anonymized : bool, optional
        Leave identifying data out; by default, as the analysis was run.

    Raises
    ------
    InputError
        When the folder is not a result folder, or an input is missing or has changed.
    """
    base = Path(folder)
    result = base / RESULT_FILE
    document = _read_json(result)
    if document.get("schema_version") != SCHEMA_VERSION:
        raise InputError(
            result, f"schema version {document.get('schema_version')!r} is not {SCHEMA_VERSION!r}"
        )
    study = _reload_study(document, _match_inputs(document, result, inputs))
    recorded_anonymized = bool(document.get("inputs", {}).get("anonymized", False))
    hide = recorded_anonymized if anonymized is None else anonymized or recorded_anonymized
    try:
        with np.load(base / ANATOMY_FILE) as maps:
            labels = {
                view.name: view.orientation.apply(maps[f"labels_{view.name.value}"])
                for view in study.views
                if f"labels_{view.name.value}" in maps
            }
    except (OSError, ValueError) as error:
        raise InputError(base / ANATOMY_FILE, f"cannot be read ({error}); analyse again") from None
    confirmation_path = base / CONFIRMATION_FILE
    confirmation = (
        Confirmation.from_dict(_read_json(confirmation_path)) if confirmation_path.is_file() else None
    )
    source = ReportSource(document, study, labels, confirmation=confirmation)
    return anonymized_source(source) if hide else source
