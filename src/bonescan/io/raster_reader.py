"""Read research exports: a view saved as a PNG, JPEG or TIFF image.

Such exports are not DICOM, so they carry no view, no spacing and often no counts. The caller says
which view each image is and gives the pixel spacing. An 8-bit image (every JPEG, most PNGs) holds
display grey levels, not counts, and is marked as such; a 16-bit or floating-point image is taken as
counts. An export saved with the reading-station look (dark bone on white) is turned back to bright
bone on black.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from bonescan.errors import InputError

__all__ = ["RASTER_SUFFIXES", "RasterImage", "read_raster"]

logger = logging.getLogger(__name__)

RASTER_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
_TIFF_SUFFIXES = frozenset({".tif", ".tiff"})


@dataclass(frozen=True)
class RasterImage:
    """Pixels of one exported image with what the reader learnt about them."""

    path: Path
    pixels: NDArray[np.float32]
    display_values: bool
    notes: tuple[str, ...]


def _read_tiff(path: Path) -> NDArray[np.generic]:
    try:
        return np.asarray(tifffile.imread(path))
    except Exception as error:
        raise InputError(path, f"not a readable TIFF image ({error})") from error


def _read_pillow(path: Path) -> NDArray[np.generic]:
    try:
        with Image.open(path) as opened:
            opened.load()
            if opened.mode in {"P", "PA", "LA", "RGBA", "CMYK", "YCbCr", "1"}:
                return np.asarray(opened.convert("RGB"))
            return np.asarray(opened)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise InputError(path, f"not a readable image ({error})") from error


def _to_grey(path: Path, pixels: NDArray[np.generic], notes: list[str]) -> NDArray[np.float32]:
    array = np.asarray(pixels)
    if array.ndim == 3 and array.shape[-1] in (3, 4):
        colour = array[..., :3].astype(np.float32)
        if not (
            np.array_equal(colour[..., 0], colour[..., 1]) and np.array_equal(colour[..., 1], colour[..., 2])
        ):
            notes.append("colour image converted to grey by luminance")
        return np.asarray(colour @ np.array([0.299, 0.587, 0.114], dtype=np.float32))
    if array.ndim != 2:
        raise InputError(path, f"expected one grey image, got an array of shape {array.shape}")
    return array.astype(np.float32)


def _is_inverted(pixels: NDArray[np.float32]) -> bool:
    """Tell whether the background (the image border) is bright, as in the reading-station look."""
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    low, high = float(pixels.min()), float(pixels.max())
    return high > low and float(np.median(border)) > low + 0.5 * (high - low)


def read_raster(path: Path) -> RasterImage:
    """Read one exported view.

    Raises
    ------
    InputError
        When the file is not a readable single grey or colour image.
    """
    raw = _read_tiff(path) if path.suffix.lower() in _TIFF_SUFFIXES else _read_pillow(path)
    notes: list[str] = []
    display = raw.dtype == np.uint8 or raw.dtype == np.bool_
    pixels = _to_grey(path, raw, notes)
    if display:
        notes.append("8-bit export: pixel values are display levels, not counts")
    else:
        notes.append(f"{raw.dtype} export: pixel values taken as counts")
    if _is_inverted(pixels):
        pixels = float(pixels.max()) - pixels
        notes.append("dark-on-white export inverted back to bright bone on black")
    if not np.isfinite(pixels).all() or pixels.min() < 0:
        raise InputError(path, "pixel values must be finite and not negative")
    return RasterImage(path, np.ascontiguousarray(pixels), display, tuple(notes))
