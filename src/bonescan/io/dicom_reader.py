"""Read whole-body views from DICOM files: NM Image Storage and NM Secondary Capture."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from bonescan.errors import InputError, NotABoneScanError
from bonescan.io.acceptance import check_pixels
from bonescan.io.view_rules import ViewDecision, decide_views

__all__ = ["DicomImage", "read_dicom_image", "read_header"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DicomImage:
    """The frames of one accepted DICOM image, stored grid, with their view decisions."""

    path: Path
    dataset: Dataset
    frames: NDArray[np.float32]  # (frames, rows, columns), as stored
    decisions: tuple[ViewDecision, ...]
    display_values: bool
    notes: tuple[str, ...] = ()

    @property
    def pixel_spacing_mm(self) -> tuple[float, float] | None:
        """Row and column spacing in millimetres, from PixelSpacing or ImagerPixelSpacing."""
        for keyword in ("PixelSpacing", "ImagerPixelSpacing", "NominalScannedPixelSpacing"):
            value = self.dataset.get(keyword)
            if value is not None and len(value) == 2 and all(float(v) > 0 for v in value):
                return float(value[0]), float(value[1])
        return None


@contextmanager
def _lenient(path: Path) -> Iterator[None]:
    """Read real-world files whose values break the standard's limits without warnings on screen."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        logger.debug("%s: %s", path, warning.message)


def read_header(path: Path) -> Dataset:
    """Read the attributes of a DICOM file, without its pixels.

    Raises
    ------
    InputError
        When the file is not DICOM or is damaged before the pixel data.
    """
    try:
        with _lenient(path):
            return pydicom.dcmread(path, stop_before_pixels=True)
    except InvalidDicomError:
        return _read_without_preamble(path)
    except (EOFError, OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(path, f"damaged or truncated DICOM file ({error})") from error


def _read_without_preamble(path: Path) -> Dataset:
    """Read an old DICOM file that lacks the 128-byte preamble, or say that it is not DICOM."""
    try:
        with _lenient(path):
            dataset = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    except Exception as error:
        raise InputError(path, "not a DICOM file (no DICM marker and no readable header)") from error
    if "SOPClassUID" not in dataset or "Modality" not in dataset:
        raise InputError(path, "not a DICOM file (no DICM marker and no readable header)")
    return dataset


def _decode(path: Path) -> tuple[Dataset, NDArray[np.float32]]:
    try:
        with _lenient(path):
            dataset = pydicom.dcmread(path, force=True)
    except (EOFError, OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(path, f"damaged or truncated DICOM file ({error})") from error
    if "PixelData" not in dataset:
        raise NotABoneScanError(path, "an image object without pixel data")
    try:
        with _lenient(path):
            pixels = dataset.pixel_array
    except (EOFError, OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise InputError(path, f"the pixel data cannot be decoded: {error}") from error
    except RuntimeError as error:  # a missing decoder plugin
        raise InputError(path, f"the pixel data cannot be decoded: {error}") from error
    stored = np.asarray(pixels)
    if "RescaleSlope" in dataset or "RescaleIntercept" in dataset:
        slope = float(dataset.get("RescaleSlope", 1) or 1)
        intercept = float(dataset.get("RescaleIntercept", 0) or 0)
        stored = stored * slope + intercept
    return dataset, stored.astype(np.float32)


def _to_grey(path: Path, dataset: Dataset, pixels: NDArray[np.float32]) -> NDArray[np.float32]:
    """Return (frames, rows, columns) grey values from whatever layout the file holds."""
    samples = int(dataset.get("SamplesPerPixel", 1) or 1)
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    if samples == 3:
        weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
        pixels = pixels @ weights
    elif samples != 1:
        raise InputError(path, f"{samples} samples per pixel; expected 1 (grey) or 3 (colour)")
    if frames == 1 and pixels.ndim == 2:
        pixels = pixels[np.newaxis]
    photometric = str(dataset.get("PhotometricInterpretation", "MONOCHROME2")).upper()
    if photometric == "MONOCHROME1":
        pixels = pixels.max() - pixels
    return np.ascontiguousarray(pixels, dtype=np.float32)


def _select_photopeak(
    path: Path, dataset: Dataset, frames: NDArray[np.float32]
) -> tuple[NDArray[np.float32], list[str]]:
    count = frames.shape[0]
    if count <= 2:
        return frames, []
    windows = [int(v) for v in (dataset.get("EnergyWindowVector") or [])]
    if len(windows) == count and len(set(windows)) > 1:
        chosen = [index for index, window in enumerate(windows) if window == 1]
        if 1 <= len(chosen) <= 2:
            note = f"{count} frames in {len(set(windows))} energy windows; window 1 used"
            return frames[chosen], [note]
    raise NotABoneScanError(
        path,
        f"{count} frames; a whole-body bone scan has one frame per view (at most two), "
        "so this looks like a dynamic, multi-bed or spot-view series",
    )


def read_dicom_image(path: Path) -> DicomImage:
    """Decode one DICOM image whose header :func:`~bonescan.io.acceptance.check_header` accepted.

    Raises
    ------
    InputError
        When the file cannot be read or decoded.
    NotABoneScanError
        When its pixels show it is not a bone scan (a uniform flood), or it has too many frames.
    """
    dataset, pixels = _decode(path)
    frames = _to_grey(path, dataset, pixels)
    frames, notes = _select_photopeak(path, dataset, frames)
    check_pixels(frames, str(path))
    bits = int(dataset.get("BitsStored", 16) or 16)
    display = bits <= 8 or int(dataset.get("SamplesPerPixel", 1) or 1) == 3
    decisions = tuple(decide_views(dataset, frames.shape[0]))
    return DicomImage(path, dataset, frames, decisions, display, tuple(notes))
