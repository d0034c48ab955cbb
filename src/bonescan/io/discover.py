"""Turn the paths a user gives into DICOM files of one study and exported images."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset

from bonescan.errors import InputError
from bonescan.io.dicom_reader import read_header
from bonescan.io.raster_reader import RASTER_SUFFIXES

__all__ = ["Discovered", "check_one_study", "discover"]

logger = logging.getLogger(__name__)

_SKIPPED_NAMES = frozenset({"DICOMDIR", "Thumbs.db"})


@dataclass
class Discovered:
    """What the given paths hold."""

    dicom: list[tuple[Path, Dataset, bool]] = field(default_factory=list)
    """DICOM files with their headers, and whether the user named the file itself."""
    rasters: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Files found in folders and left out, each with the reason."""


def _files_in(folder: Path) -> Iterable[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith(".") and path.name not in _SKIPPED_NAMES:
            yield path


def _add_file(found: Discovered, path: Path, named: bool) -> None:
    if path.suffix.lower() in RASTER_SUFFIXES:
        if named:
            found.rasters.append(path)
        else:
            found.skipped.append(f"{path}: an exported image inside a folder; name it to use it")
        return
    try:
        found.dicom.append((path, read_header(path), named))
    except InputError as error:
        if named:
            raise
        found.skipped.append(str(error))
        logger.debug("skipped %s", error)


def discover(paths: Iterable[Path]) -> Discovered:
    """Expand folders, read DICOM headers and keep exported images apart.

    Files found inside folders that are not DICOM are skipped (and listed in ``skipped``); files the
    user named must be readable.

    Raises
    ------
    InputError
        When a path does not exist or a named file is not readable.
    """
    found = Discovered()
    for path in paths:
        if path.is_dir():
            for file in _files_in(path):
                _add_file(found, file, named=False)
        elif path.is_file():
            _add_file(found, path, named=True)
        else:
            raise InputError(path, "no such file or folder")
    return found


def check_one_study(dicom: list[tuple[Path, Dataset, bool]], folders: list[Path]) -> None:
    """Raise InputError, listing them, when the DICOM files belong to more than one study."""
    by_study: dict[str, list[Path]] = defaultdict(list)
    for path, header, _ in dicom:
        by_study[str(header.get("StudyInstanceUID", "") or "(no StudyInstanceUID)")].append(path)
    if len(by_study) <= 1:
        return
    listed = "; ".join(
        f"{uid} ({len(files)} file{'s' if len(files) > 1 else ''}, e.g. {files[0].name})"
        for uid, files in sorted(by_study.items())
    )
    where = ", ".join(str(folder) for folder in folders) or "the given files"
    raise InputError(where, f"{len(by_study)} studies found: {listed}; give the files or folder of one study")
