"""Frames on their way to becoming views: from DICOM images and from exported pictures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from bonescan.errors import InputError, NotABoneScanError
from bonescan.io.acceptance import check_header
from bonescan.io.dicom_reader import DicomImage, read_dicom_image
from bonescan.io.discover import Discovered, check_one_study
from bonescan.io.raster_reader import read_raster
from bonescan.io.side_by_side import view_columns
from bonescan.study import QualityCheck, Severity, ViewName

__all__ = ["Candidate", "dicom_candidates", "raster_candidates"]


@dataclass
class Candidate:
    """A frame on its way to becoming a view."""

    view: ViewName | None
    rule: str
    pixels: NDArray[np.float32]
    spacing: tuple[float, float] | None
    source_path: Path
    frame: int
    display_values: bool
    image: DicomImage | None = None
    columns: tuple[int, int] | None = None  # (first, stop) when cut from a wider frame


def _view_from_name(path: Path) -> ViewName | None:
    words = set(re.split(r"[^a-z]+", path.stem.lower()))
    anterior = bool(words & {"ant", "anterior", "anter"})
    posterior = bool(words & {"post", "posterior", "pos"})
    if anterior != posterior:
        return ViewName.ANTERIOR if anterior else ViewName.POSTERIOR
    return None


def raster_candidates(
    found: Discovered,
    anterior: Path | None,
    posterior: Path | None,
    spacing: tuple[float, float] | None,
    notes: list[QualityCheck],
) -> list[Candidate]:
    """Return candidates for the exported images, each with its view and the given spacing.

    Raises
    ------
    InputError
        When an image is missing or unreadable, its view unknown, or no spacing was given.
    """
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
        if spacing is None:
            raise InputError(path, "an exported image has no pixel spacing; give --pixel-spacing")
        raster = read_raster(path)
        if view is None and len(view_columns(raster.pixels)) == 1:  # several: cut apart later
            raise InputError(
                path,
                "cannot tell which view this image is; give it with --anterior or --posterior",
            )
        candidates.append(Candidate(view, rule, raster.pixels, spacing, path, 0, raster.display_values))
        notes.extend(QualityCheck("reader_note", Severity.INFO, f"{path}: {n}") for n in raster.notes)
    return candidates


def _accepted_files(
    found: Discovered, folders: list[Path], notes: list[QualityCheck]
) -> tuple[list[Path], list[str]]:
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
    return [path for path, _, _ in accepted], refused


def dicom_candidates(
    found: Discovered,
    folders: list[Path],
    spacing: tuple[float, float] | None,
    notes: list[QualityCheck],
) -> list[Candidate]:
    """Return a candidate per frame of the DICOM images that are whole-body bone scans.

    Raises
    ------
    InputError
        When a file cannot be decoded, lacks a pixel spacing, or the files hold several studies.
    NotABoneScanError
        When a named file, or every file found, is not a whole-body bone scan.
    """
    accepted, refused = _accepted_files(found, folders, notes)
    if not accepted and refused:
        raise NotABoneScanError(None, "no whole-body bone scan among the inputs: " + "; ".join(refused))
    candidates: list[Candidate] = []
    for path in accepted:
        image = read_dicom_image(path)
        image_spacing = image.pixel_spacing_mm or spacing
        if image_spacing is None:
            raise InputError(path, "no PixelSpacing in the file; give --pixel-spacing")
        for frame, decision in enumerate(image.decisions):
            candidates.append(
                Candidate(
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
