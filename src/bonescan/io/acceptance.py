"""Decide whether a DICOM image is a whole-body planar bone scan, and say why not when it is not.

Checked in order: the modality (NM), the kind of object (an image: NM Image or Secondary Capture), the
acquisition type in Image Type (not SPECT, dynamic or gated), signs of a quality-control acquisition
(floods, bar and SPECT phantoms), and the shape of the image (a whole-body view is long and narrow,
about 4:1, unless Image Type says WHOLE BODY).
"""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.uid import UID

from bonescan.errors import NotABoneScanError

__all__ = ["IMAGE_SOP_CLASSES", "check_header", "check_pixels"]

IMAGE_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.20": "NM Image Storage",
    "1.2.840.10008.5.1.4.1.1.5": "NM Image Storage (retired)",
    "1.2.840.10008.5.1.4.1.1.7": "Secondary Capture Image Storage",
    "1.2.840.10008.5.1.4.1.1.7.2": "Multi-frame Grayscale Byte Secondary Capture",
    "1.2.840.10008.5.1.4.1.1.7.3": "Multi-frame Grayscale Word Secondary Capture",
    "1.2.840.10008.5.1.4.1.1.7.4": "Multi-frame True Color Secondary Capture",
}

_MODALITY_NAMES = {
    "CT": "a CT image",
    "MR": "an MR image",
    "PT": "a PET image",
    "CR": "a radiograph",
    "DX": "a radiograph",
    "US": "an ultrasound image",
    "SR": "a structured report",
    "SEG": "a segmentation",
    "PR": "a presentation state",
    "RTSTRUCT": "an RT structure set",
}
_TOMO = {"TOMO", "RECON TOMO", "GATED TOMO", "RECON GATED TOMO"}
_QC_WORDS = re.compile(
    r"(FLOOD|UNIF|UNIFORM|UNIFORMITY|UNIFORMIDAD|BAR|BARS|PHANTOM|JASZCZAK|JASZACK|LINEARITY|COR)"
)
_WHOLE_BODY_RATIO = 1.8  # rows per column at least; a 1024x256 whole-body view has 4
_FLOOD_FILL = 0.5
_FLOOD_SPREAD = 0.35


def _fail(path: str, reason: str) -> NotABoneScanError:
    return NotABoneScanError(path, f"{reason}; bonescan reads whole-body planar bone scans")


def _image_type(dataset: Dataset) -> list[str]:
    return [str(value).strip().upper() for value in (dataset.get("ImageType") or [])]


def _geometry(dataset: Dataset) -> str:
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    size = f"{dataset.get('Rows', '?')}×{dataset.get('Columns', '?')}"
    return f"{frames} frames of {size}" if frames > 1 else size


def _qc_words(dataset: Dataset) -> str | None:
    for keyword in ("StudyDescription", "SeriesDescription", "ProtocolName", "ImageID"):
        text = str(dataset.get(keyword, "") or "")
        for word in re.split(r"[^A-Z]+", text.upper()):
            if word and _QC_WORDS.fullmatch(word):
                return f"{keyword} {text!r}"
    return None


def check_header(dataset: Dataset, path: str) -> None:
    """Refuse, with the reason, a DICOM object that is not a whole-body planar bone scan.

    Raises
    ------
    NotABoneScanError
        Naming ``path`` and what the object is instead.
    """
    modality = str(dataset.get("Modality", "") or "").upper()
    if modality != "NM":
        what = _MODALITY_NAMES.get(modality, f"a {modality or 'modality-less'} object")
        raise _fail(path, f"{what} (Modality {modality or 'missing'}), not nuclear medicine")
    sop_class = str(dataset.get("SOPClassUID", ""))
    if sop_class not in IMAGE_SOP_CLASSES:
        name = UID(sop_class).name if sop_class else "no SOP Class UID"
        raise _fail(path, f"an NM object of class {name}, not an image")
    image_type = _image_type(dataset)
    shown = "\\".join(image_type)
    if any(value in _TOMO for value in image_type):
        raise _fail(path, f"a SPECT acquisition or reconstruction (ImageType {shown}, {_geometry(dataset)})")
    for kind, words in (("dynamic", "DYNAMIC"), ("gated", "GATED")):
        if words in image_type:
            raise _fail(path, f"a {kind} acquisition (ImageType {shown}), not a whole-body sweep")
    qc = _qc_words(dataset)
    if qc is not None:
        raise _fail(path, f"a quality-control acquisition ({qc}), not a patient study")
    if "WHOLE BODY" in image_type:
        return
    rows, columns = int(dataset.get("Rows", 0)), int(dataset.get("Columns", 0))
    if columns == 0 or rows < _WHOLE_BODY_RATIO * columns:
        acquisition = next((v for v in image_type[2:3] if v), "planar")
        series = str(dataset.get("SeriesDescription", "") or "").strip()
        named = f", series {series!r}" if series else ""
        raise _fail(
            path,
            f"a {acquisition} image of {_geometry(dataset)}{named}, not a whole-body view "
            "(ImageType does not say WHOLE BODY and a whole-body view is about four times longer "
            "than wide, e.g. 1024×256)",
        )


def check_pixels(frames: NDArray[np.float32], path: str) -> None:
    """Refuse a uniform flood-field image: counts spread evenly over most of the detector.

    Raises
    ------
    NotABoneScanError
        When the image looks like a flood (QC) rather than a body.
    """
    for frame in frames:
        binned = _bin(frame, 8)
        filled = binned > 0.2 * float(np.percentile(binned, 99))
        if filled.mean() < _FLOOD_FILL:
            continue
        inner = binned[filled]
        spread = float(inner.std() / inner.mean()) if inner.mean() > 0 else 1.0
        if spread < _FLOOD_SPREAD:
            raise _fail(
                path,
                f"a uniform flood-field image (counts even over {filled.mean():.0%} of the field, "
                f"spread {spread:.0%}), a quality-control acquisition",
            )


def _bin(frame: NDArray[np.float32], size: int) -> NDArray[np.float64]:
    rows, columns = (dimension // size * size for dimension in frame.shape)
    trimmed = frame[:rows, :columns].astype(np.float64)
    binned: NDArray[np.float64] = trimmed.reshape(rows // size, size, columns // size, size).sum(axis=(1, 3))
    return binned
