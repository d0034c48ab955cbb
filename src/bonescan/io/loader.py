"""``load_study``: one entry point for every kind of input bonescan reads."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from bonescan.errors import InputError, NotABoneScanError
from bonescan.io.acceptance import check_header
from bonescan.io.dicom_reader import DicomImage, read_dicom_image
from bonescan.io.discover import Discovered, check_one_study, discover
from bonescan.io.metadata import extract_identity, extract_metadata
from bonescan.io.orientation import decide_orientation
from bonescan.io.raster_reader import read_raster
from bonescan.quality import check_quality
from bonescan.study import (
    PatientIdentity,
    PixelValues,
    QualityCheck,
    Severity,
    Study,
    StudyMetadata,
    View,
    ViewName,
    ViewSource,
    conventional_patient_left,
)

__all__ = ["load_study"]

logger = logging.getLogger(__name__)

PathLike = str | Path


@dataclass
class _Candidate:
    """A frame on its way to becoming a view."""

    view: ViewName | None
    rule: str
    pixels: NDArray[np.float32]
    spacing: tuple[float, float] | None
    source_path: Path
    frame: int
    display_values: bool
    image: DicomImage | None = None


def _as_paths(paths: PathLike | Sequence[PathLike]) -> list[Path]:
    if isinstance(paths, str | Path):
        return [Path(paths)]
    return [Path(path) for path in paths]


def _spacing(value: float | tuple[float, float] | None) -> tuple[float, float] | None:
    if value is None:
        return None
    pair = (float(value), float(value)) if isinstance(value, int | float) else tuple(value)
    if len(pair) != 2 or min(pair) <= 0:
        raise InputError(None, f"pixel spacing must be one or two positive numbers, got {value}")
    return float(pair[0]), float(pair[1])


def _view_from_name(path: Path) -> ViewName | None:
    words = set(re.split(r"[^a-z]+", path.stem.lower()))
    anterior = bool(words & {"ant", "anterior", "anter"})
    posterior = bool(words & {"post", "posterior", "pos"})
    if anterior != posterior:
        return ViewName.ANTERIOR if anterior else ViewName.POSTERIOR
    return None


def _raster_candidates(
    found: Discovered,
    anterior: Path | None,
    posterior: Path | None,
    spacing: tuple[float, float] | None,
    notes: list[QualityCheck],
) -> list[_Candidate]:
    named: list[tuple[Path, ViewName | None, str]] = []
    if anterior is not None:
        named.append((anterior, ViewName.ANTERIOR, "given as the anterior view"))
    if posterior is not None:
        named.append((posterior, ViewName.POSTERIOR, "given as the posterior view"))
    for path in found.rasters:
        view = _view_from_name(path)
        named.append((path, view, f"file name says {view}" if view else "unknown"))
    candidates = []
    for path, view, rule in named:
        if not path.is_file():
            raise InputError(path, "no such file")
        if view is None:
            raise InputError(
                path,
                "cannot tell which view this image is; give it with --anterior or --posterior",
            )
        if spacing is None:
            raise InputError(path, "an exported image has no pixel spacing; give --pixel-spacing")
        raster = read_raster(path)
        candidates.append(_Candidate(view, rule, raster.pixels, spacing, path, 0, raster.display_values))
        notes.extend(QualityCheck("reader_note", Severity.INFO, f"{path}: {n}") for n in raster.notes)
    return candidates


def _accepted_headers(
    found: Discovered, folders: list[Path], notes: list[QualityCheck]
) -> tuple[list[tuple[Path, Dataset]], list[str]]:
    """Keep the DICOM files that are whole-body bone scans; refuse named ones that are not."""
    accepted: list[tuple[Path, Dataset, bool]] = []
    refused: list[str] = []
    for path, header, named in found.dicom:
        try:
            check_header(header, str(path))
        except NotABoneScanError as error:
            if named:
                raise
            refused.append(str(error))
            notes.append(QualityCheck("file_skipped", Severity.INFO, f"skipped {error}"))
            continue
        accepted.append((path, header, named))
    check_one_study(accepted, folders)
    return [(path, header) for path, header, _ in accepted], refused


def _dicom_candidates(
    found: Discovered,
    folders: list[Path],
    spacing: tuple[float, float] | None,
    notes: list[QualityCheck],
) -> list[_Candidate]:
    accepted, refused = _accepted_headers(found, folders, notes)
    if not accepted and refused:
        raise NotABoneScanError(None, "no whole-body bone scan among the inputs: " + "; ".join(refused))
    candidates: list[_Candidate] = []
    for path, header in accepted:
        image = read_dicom_image(path, header)
        image_spacing = image.pixel_spacing_mm or spacing
        if image_spacing is None:
            raise InputError(path, "no PixelSpacing in the file; give --pixel-spacing")
        for frame, decision in enumerate(image.decisions):
            candidates.append(
                _Candidate(
                    decision.view,
                    decision.rule,
                    image.frames[frame],
                    image_spacing,
                    path,
                    frame,
                    image.display_values,
                    image,
                )
            )
        notes.extend(QualityCheck("reader_note", Severity.INFO, f"{path}: {n}") for n in image.notes)
    return candidates


def _settle_views(candidates: list[_Candidate], view: ViewName | None, notes: list[QualityCheck]) -> None:
    undecided = [c for c in candidates if c.view is None]
    decided = {c.view for c in candidates if c.view is not None}
    if view is not None and len(candidates) == 1:
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
        undecided[0].rule = "assumed: no view information in the file; a single view taken as anterior"
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


def _check_unique(candidates: list[_Candidate]) -> None:
    for name in ViewName:
        same = [c for c in candidates if c.view is name]
        if len(same) > 1:
            listed = "; ".join(f"{c.source_path} frame {c.frame + 1} ({c.rule})" for c in same)
            raise InputError(
                None, f"{len(same)} {name} views found: {listed}; give the files of one acquisition"
            )


def _single_frame_header(candidate: _Candidate) -> Dataset | None:
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


def _to_view(candidate: _Candidate) -> View:
    assert candidate.view is not None and candidate.spacing is not None
    single = _single_frame_header(candidate)
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
        ),
        declared_counts=int(declared) if declared not in (None, "") else None,
    )


def _orientation_notes(views: Sequence[View]) -> list[QualityCheck]:
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


def _metadata(candidates: Sequence[_Candidate]) -> tuple[StudyMetadata, PatientIdentity]:
    images = [c.image for c in candidates if c.image is not None]
    if not images:
        return StudyMetadata(), PatientIdentity()
    series = tuple(dict.fromkeys(str(i.dataset.get("SeriesInstanceUID", "")) for i in images))
    first = images[0].dataset
    return extract_metadata(first, [uid for uid in series if uid]), extract_identity(first)


def load_study(
    paths: PathLike | Sequence[PathLike] = (),
    *,
    anterior: PathLike | None = None,
    posterior: PathLike | None = None,
    pixel_spacing_mm: float | tuple[float, float] | None = None,
    view: ViewName | str | None = None,
) -> Study:
    """Load a whole-body bone scan from files or folders, check it and return it upright.

    Parameters
    ----------
    paths : path or sequence of paths
        DICOM files (NM Image Storage with one or two frames, NM Secondary Capture, any transfer
        syntax pydicom can decode), folders of them (searched recursively and grouped by
        StudyInstanceUID), or exported PNG/JPEG/TIFF images whose file names say ``ant`` or
        ``post``.
    anterior, posterior : path, optional
        Exported images given as the anterior and the posterior view.
    pixel_spacing_mm : float or (float, float), optional
        Pixel spacing for exported images, or for DICOM files that lack it.
    view : ViewName or str, optional
        The view of a single-view input whose file does not say (or says wrongly).

    Returns
    -------
    Study
        The views upright, the metadata, the identity kept apart, and the quality checks, which
        include the reader's notes on the decisions it took.

    Raises
    ------
    InputError
        With a one-line reason naming the file: a missing or unreadable file, several studies, two
        views of the same kind, a missing pixel spacing.
    NotABoneScanError
        When an input is not a whole-body planar bone scan (SPECT, a QC flood, CT, ...).
    """
    given = _as_paths(paths)
    anterior_path = Path(anterior) if anterior is not None else None
    posterior_path = Path(posterior) if posterior is not None else None
    if not given and anterior_path is None and posterior_path is None:
        raise InputError(None, "no input given: name DICOM files, folders or exported images")
    spacing = _spacing(pixel_spacing_mm)
    wanted_view = ViewName(view) if view is not None else None
    found = discover(given)
    notes: list[QualityCheck] = []
    folders = [path for path in given if path.is_dir()]
    candidates = _dicom_candidates(found, folders, spacing, notes)
    rasters = _raster_candidates(found, anterior_path, posterior_path, spacing, notes)
    if candidates and rasters:
        raise InputError(None, "give either DICOM files or exported images, not both")
    candidates += rasters
    if not candidates:
        where = ", ".join(str(path) for path in given) or "the inputs"
        raise InputError(where, "no DICOM image found")
    _settle_views(candidates, wanted_view, notes)
    _check_unique(candidates)
    views = tuple(_to_view(candidate) for candidate in candidates)
    metadata, identity = _metadata(candidates)
    display = any(candidate.display_values for candidate in candidates)
    study = Study(
        views=views,
        metadata=metadata,
        identity=identity,
        pixel_values=PixelValues.DISPLAY if display else PixelValues.COUNTS,
    )
    notes += _orientation_notes(study.views)
    logger.info("loaded %d view(s) from %d file(s)", len(views), len(study.sources))
    return study.with_quality(check_quality(study) + tuple(notes))
