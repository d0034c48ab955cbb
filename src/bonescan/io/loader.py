"""``load_study``: one entry point for every kind of input bonescan reads."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from bonescan.errors import InputError
from bonescan.io.assemble import check_unique, cut_side_by_side, orientation_notes, settle_views, to_view
from bonescan.io.candidates import Candidate, dicom_candidates, raster_candidates
from bonescan.io.discover import discover
from bonescan.io.metadata import extract_identity, extract_metadata
from bonescan.quality import check_quality
from bonescan.study import PatientIdentity, PixelValues, QualityCheck, Study, StudyMetadata, ViewName

__all__ = ["load_study"]

logger = logging.getLogger(__name__)

PathLike = str | Path


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


def _metadata(candidates: Sequence[Candidate]) -> tuple[StudyMetadata, PatientIdentity]:
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
        ``post``. A frame or image holding both views side by side is cut into them
        (:mod:`bonescan.io.side_by_side`).
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
    candidates = dicom_candidates(found, folders, spacing, notes)
    rasters = raster_candidates(found, anterior_path, posterior_path, spacing, notes)
    if candidates and rasters:
        raise InputError(None, "give either DICOM files or exported images, not both")
    candidates += rasters
    if not candidates:
        where = ", ".join(str(path) for path in given) or "the inputs"
        raise InputError(where, "no DICOM image found")
    candidates = cut_side_by_side(candidates, notes)
    settle_views(candidates, wanted_view, notes)
    check_unique(candidates)
    views = tuple(to_view(candidate) for candidate in candidates)
    metadata, identity = _metadata(candidates)
    display = any(candidate.display_values for candidate in candidates)
    study = Study(
        views=views,
        metadata=metadata,
        identity=identity,
        pixel_values=PixelValues.DISPLAY if display else PixelValues.COUNTS,
    )
    notes += orientation_notes(study.views)
    logger.info("loaded %d view(s) from %d file(s)", len(views), len(study.sources))
    return study.with_quality(check_quality(study) + tuple(notes))
