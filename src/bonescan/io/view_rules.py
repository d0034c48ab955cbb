"""Tell the anterior and posterior frames of a DICOM image apart, and say which rule decided.

Rules, in order of trust:

1. ``view_code``: the View Code Sequence (0054,0220) of the detector that acquired the frame
   (Detector Information Sequence item picked by Detector Vector), or of the image itself.
2. ``image_type``: a value of Image Type (0008,0008) reading ANTERIOR/ANT or POSTERIOR/POST.
3. ``series_description``: the words ANT/ANTERIOR or POST/POSTERIOR in Series Description
   (0008,103E) or Image ID (0054,0400), when only one of them appears.
4. ``detector_vector``: two frames from detectors 1 and 2, taken as anterior and posterior (the usual
   convention of dual-head whole-body sweeps, where detector 1 is above the supine patient).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydicom.dataset import Dataset

from bonescan.io.codes import RETIRED_PROJECTION_CODES, NuclearMedicineProjection
from bonescan.study import ViewName

__all__ = ["ViewDecision", "decide_views"]

_WORDS = {
    "ANT": ViewName.ANTERIOR,
    "ANTERIOR": ViewName.ANTERIOR,
    "POST": ViewName.POSTERIOR,
    "POSTERIOR": ViewName.POSTERIOR,
}


@dataclass(frozen=True)
class ViewDecision:
    """The view of one frame (None when no rule decided) and the rule that decided it."""

    view: ViewName | None
    rule: str


def _as_ints(value: object) -> list[int]:
    """Return a DICOM value of one or more integers as a list (empty when absent)."""
    if value is None or value == "":
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return [int(str(value))]
    return [int(item) for item in value]


def _view_from_code(item: Dataset) -> ViewName | None:
    value = str(item.get("CodeValue", "")).strip()
    scheme = str(item.get("CodingSchemeDesignator", "")).strip()
    for projection in NuclearMedicineProjection:
        if projection.value.value == value and projection.value.scheme_designator == scheme:
            return ViewName.ANTERIOR if projection.name == "ANTERIOR" else ViewName.POSTERIOR
    if (value, scheme) in RETIRED_PROJECTION_CODES:
        return RETIRED_PROJECTION_CODES[(value, scheme)]
    meaning = str(item.get("CodeMeaning", "")).lower()
    if "oblique" in meaning or "lateral" in meaning:
        return None
    if "anterior" in meaning and "posterior" not in meaning:
        return ViewName.ANTERIOR
    if "posterior" in meaning and "anterior" not in meaning:
        return ViewName.POSTERIOR
    return None


def _describe_code(item: Dataset) -> str:
    return (
        f"({item.get('CodeValue', '')}, {item.get('CodingSchemeDesignator', '')}, "
        f"{item.get('CodeMeaning', '')!r})"
    )


def _by_view_code(dataset: Dataset, frame: int) -> ViewDecision | None:
    detectors = dataset.get("DetectorInformationSequence") or []
    detector_numbers = _as_ints(dataset.get("DetectorVector"))
    candidates: list[tuple[str, Dataset]] = []
    if detectors and frame < len(detector_numbers):
        number = detector_numbers[frame]
        if 1 <= number <= len(detectors):
            for item in detectors[number - 1].get("ViewCodeSequence") or []:
                where = f"DetectorInformationSequence[{number}].ViewCodeSequence"
                candidates.append((where, item))
    elif len(detectors) == 1:
        for item in detectors[0].get("ViewCodeSequence") or []:
            candidates.append(("DetectorInformationSequence[1].ViewCodeSequence", item))
    for item in dataset.get("ViewCodeSequence") or []:
        candidates.append(("ViewCodeSequence", item))
    for where, item in candidates:
        view = _view_from_code(item)
        if view is not None:
            return ViewDecision(view, f"view_code: {where} {_describe_code(item)}")
    return None


def _single_word(texts: Sequence[str]) -> ViewName | None:
    found = {_WORDS[word] for text in texts for word in re.split(r"[^A-Z]+", text.upper()) if word in _WORDS}
    return found.pop() if len(found) == 1 else None


def _by_text(dataset: Dataset) -> ViewDecision | None:
    image_type = [str(value) for value in (dataset.get("ImageType") or [])]
    view = _single_word(image_type)
    if view is not None:
        joined = "\\".join(image_type)
        return ViewDecision(view, f"image_type: ImageType '{joined}'")
    texts = [str(dataset.get(keyword, "") or "") for keyword in ("SeriesDescription", "ImageID")]
    view = _single_word(texts)
    if view is not None:
        shown = " / ".join(text for text in texts if text)
        return ViewDecision(view, f"series_description: {shown!r}")
    return None


def decide_views(dataset: Dataset, frames: int) -> list[ViewDecision]:
    """Decide the view of each frame of an image.

    Parameters
    ----------
    dataset : Dataset
        The image's attributes.
    frames : int
        How many frames the image has (one per view, so one or two).

    Returns
    -------
    list of ViewDecision
        One decision per frame; ``view`` is None where no rule decided.
    """
    decisions = [_by_view_code(dataset, frame) for frame in range(frames)]
    if frames == 2 and sum(d is not None for d in decisions) == 1:
        known = next(d for d in decisions if d is not None)
        other = ViewName.POSTERIOR if known.view is ViewName.ANTERIOR else ViewName.ANTERIOR
        index = decisions.index(None)
        decisions[index] = ViewDecision(other, f"the other frame of a two-view image ({known.rule})")
    if all(d is not None for d in decisions):
        return [d for d in decisions if d is not None]
    if frames == 1:
        by_text = _by_text(dataset)
        return [by_text or ViewDecision(None, "no view information in the file")]
    if frames == 2 and _as_ints(dataset.get("DetectorVector")) == [1, 2]:
        rule = "detector_vector: detector 1 taken as anterior, detector 2 as posterior"
        return [ViewDecision(ViewName.ANTERIOR, rule), ViewDecision(ViewName.POSTERIOR, rule)]
    return [ViewDecision(None, "no view information in the file") for _ in range(frames)]
