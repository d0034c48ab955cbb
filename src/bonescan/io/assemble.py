"""Turn frames into views: cut apart, settle which view each is, refuse duplicates, turn upright."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from bonescan._spine import DECISIVE_LOG_RATIO, posterior_log_ratio
from bonescan.errors import InputError
from bonescan.io.candidates import Candidate
from bonescan.io.orientation import decide_orientation
from bonescan.io.side_by_side import view_columns
from bonescan.study import (
    QualityCheck,
    Severity,
    View,
    ViewName,
    ViewSource,
    conventional_patient_left,
)

__all__ = ["check_unique", "cut_side_by_side", "orientation_notes", "settle_views", "to_view"]


def _part(candidate: Candidate, columns: slice, view: ViewName, side: str, why: str) -> Candidate:
    rule = f"the {side} part (columns {columns.start}-{columns.stop - 1}) of a frame holding two views: {why}"
    return dataclasses.replace(
        candidate,
        view=view,
        rule=rule,
        pixels=np.ascontiguousarray(candidate.pixels[:, columns]),
        columns=(columns.start, columns.stop),
    )


def _frame_name(candidate: Candidate) -> str:
    multi = candidate.image is not None and len(candidate.image.frames) > 1
    return f"{candidate.source_path} frame {candidate.frame + 1}" if multi else str(candidate.source_path)


def _left_is_posterior(left: NDArray[np.float32], right: NDArray[np.float32]) -> tuple[bool, str]:
    """Tell which part is the posterior view by the spine (:mod:`bonescan._spine`), and why."""
    log_ratio = posterior_log_ratio(left, right)
    if log_ratio is None:
        return False, "the spine cannot be measured: anterior on the left, as workstations display them"
    factor, more = math.exp(abs(log_ratio)), "left" if log_ratio > 0 else "right"
    shown = f"the spine below the chest stands out {factor:.2f} times as much in the {more} part"
    if abs(log_ratio) >= DECISIVE_LOG_RATIO:
        return log_ratio > 0, f"a posterior view shows the spine brighter against the trunk ({shown})"
    return False, f"the spine does not tell ({shown}): anterior on the left, as workstations display them"


def cut_side_by_side(candidates: list[Candidate], notes: list[QualityCheck]) -> list[Candidate]:
    """Return the candidates, each frame holding two views cut into them (:mod:`bonescan.io.side_by_side`).

    A warning in ``notes`` names each frame cut, which part became which view and why, and what the
    frame had been taken for before.

    Raises
    ------
    InputError
        When a frame holds more than two whole bodies side by side.
    """
    parts: list[Candidate] = []
    for candidate in candidates:
        found = view_columns(candidate.pixels)
        if len(found) == 1:
            parts.append(candidate)
            continue
        if len(found) > 2:
            raise InputError(
                _frame_name(candidate),
                f"{len(found)} whole bodies side by side in one image; bonescan reads an anterior and a "
                "posterior view: give each view as an image of its own",
            )
        left, right = found
        swapped, why = _left_is_posterior(candidate.pixels[:, left], candidate.pixels[:, right])
        views = (ViewName.ANTERIOR, ViewName.POSTERIOR)[:: -1 if swapped else 1]
        parts += [
            _part(candidate, left, views[0], "left", why),
            _part(candidate, right, views[1], "right", why),
        ]
        before = f" (taken for the {candidate.view} view: {candidate.rule})" if candidate.view else ""
        notes.append(
            QualityCheck(
                "side_by_side",
                Severity.WARNING,
                f"{_frame_name(candidate)} holds two views side by side{before}: columns "
                f"{left.start}-{left.stop - 1} taken as the {views[0]} view and {right.start}-"
                f"{right.stop - 1} as the {views[1]} view, because {why}; if that is wrong, give each "
                "view as an image of its own",
            )
        )
    return parts


def settle_views(candidates: list[Candidate], view: ViewName | None, notes: list[QualityCheck]) -> None:
    """Give every candidate a view: the user's, the other view of the study, or anterior by assumption.

    The user's view is not used on a frame cut into both views (:func:`cut_side_by_side`); a warning
    says so.

    Raises
    ------
    InputError
        When several frames have no view and nothing can decide.
    """
    undecided = [c for c in candidates if c.view is None]
    decided = {c.view for c in candidates if c.view is not None}
    cut = [c for c in candidates if c.columns is not None]
    if view is not None and cut:
        notes.append(
            QualityCheck(
                "view_not_used",
                Severity.WARNING,
                f"the view asked for ({view}) was not used: {cut[0].source_path} holds both views "
                "side by side",
            )
        )
    elif view is not None and len(candidates) == 1:
        only = candidates[0]
        if only.view is not None and only.view is not view:
            notes.append(
                QualityCheck(
                    "view_overridden",
                    Severity.WARNING,
                    f"the file says {only.view} ({only.rule}); taken as {view} as the user asked",
                )
            )
        only.view, only.rule = view, "given by the user"
        return
    if len(undecided) == 1 and len(decided) == 1:
        other = ViewName.POSTERIOR if ViewName.ANTERIOR in decided else ViewName.ANTERIOR
        undecided[0].view, undecided[0].rule = other, "the other view of the study"
    elif len(undecided) == 1 and not decided:
        undecided[0].view = ViewName.ANTERIOR
        undecided[0].rule = ViewSource.ASSUMED_ANTERIOR
        notes.append(
            QualityCheck(
                "view_assumed",
                Severity.WARNING,
                f"{undecided[0].source_path}: the file does not say which view it is; taken as "
                "anterior (use --view posterior if it is the posterior view)",
            )
        )
    elif undecided:
        listed = ", ".join(f"{c.source_path} frame {c.frame + 1}" for c in undecided)
        raise InputError(None, f"cannot tell which view these are: {listed}")


def check_unique(candidates: list[Candidate]) -> None:
    """Raise InputError, listing them, when two candidates are the same view."""
    for name in ViewName:
        same = [c for c in candidates if c.view is name]
        if len(same) > 1:
            listed = "; ".join(f"{c.source_path} frame {c.frame + 1} ({c.rule})" for c in same)
            raise InputError(
                None, f"{len(same)} {name} views found: {listed}; give the files of one acquisition"
            )


def _single_frame_header(candidate: Candidate) -> Dataset | None:
    """Return the header of a one-frame DICOM image, whose frame attributes describe this view."""
    if candidate.image is None:
        return None
    header = candidate.image.dataset
    return header if int(header.get("NumberOfFrames", 1) or 1) == 1 else None


def _stated_orientation(header: Dataset | None) -> tuple[str, str] | None:
    # One PatientOrientation cannot describe two views, so it is used for single-frame images only.
    values = header.get("PatientOrientation") if header is not None else None
    if values is None or len(values) != 2:
        return None
    return str(values[0]), str(values[1])


def to_view(candidate: Candidate) -> View:
    """Return the upright view of a candidate, with its orientation and source recorded."""
    assert candidate.view is not None and candidate.spacing is not None
    # a header describes the whole frame, not a part cut from it (bonescan.io.side_by_side)
    single = _single_frame_header(candidate) if candidate.columns is None else None
    orientation = decide_orientation(candidate.pixels, candidate.view, _stated_orientation(single))
    declared = single.get("CountsAccumulated") if single is not None else None
    header = candidate.image.dataset if candidate.image is not None else None
    return View(
        name=candidate.view,
        counts=orientation.apply(candidate.pixels),
        pixel_spacing_mm=candidate.spacing,
        orientation=orientation,
        source=ViewSource(
            path=candidate.source_path,
            frame=candidate.frame,
            sop_instance_uid=str(header.get("SOPInstanceUID")) if header is not None else None,
            series_instance_uid=str(header.get("SeriesInstanceUID")) if header is not None else None,
            view_rule=candidate.rule,
            columns=candidate.columns,
        ),
        declared_counts=int(declared) if declared not in (None, "") else None,
    )


def orientation_notes(views: Sequence[View]) -> list[QualityCheck]:
    """Return notes on views turned upright, mirrored, or of undecided orientation."""
    notes = []
    for view in views:
        orientation = view.orientation
        if orientation.decided_by.startswith("undecided"):
            notes.append(
                QualityCheck(
                    "orientation_undecided",
                    Severity.WARNING,
                    f"could not tell whether the {view.name} view is upright; kept as stored",
                    view.name,
                )
            )
        elif orientation.flip_rows:
            notes.append(
                QualityCheck(
                    "turned_upright",
                    Severity.INFO,
                    f"the {view.name} view was stored head-down and was turned upright "
                    f"({orientation.decided_by})",
                    view.name,
                )
            )
        if orientation.patient_left is not conventional_patient_left(view.name):
            notes.append(
                QualityCheck(
                    "mirrored_view",
                    Severity.WARNING,
                    f"the {view.name} view is stored mirrored: the patient's left is on the "
                    f"{orientation.patient_left.value.replace('_', ' ')} "
                    f"({orientation.decided_by})",
                    view.name,
                )
            )
    return notes
