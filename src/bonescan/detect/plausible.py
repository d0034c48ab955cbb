"""Where each bone can be: a check of the region a spot is given against the body's landmarks.

On a real scan the skeleton labels can be wrong in places (a faint anterior lumbar spine labelled as
a hand, say). A spot takes the region labelled under its peak only if that region can be there:

* skull, face and cervical spine: above the shoulders;
* the thoracic cage (thoracic spine, sternum, ribs, clavicles, scapulae): between the neck and the
  crotch; lumbar spine, sacrum and pelvis: between the shoulders and below the crotch;
* proximal femur below the iliac crests (with no margin upwards: the tops of the femora lie some
  8 cm below the crests); distal femur, tibia and fibula, and foot below the crotch;
* distal humerus, forearm and hand away from the midline (more than a fifth of the body's width
  at that row), since the arms hang beside the trunk.

Every other row limit has a margin of 5% of the body's length. Otherwise the spot takes the most
frequent plausible bone label within :data:`SEARCH_RADIUS_PX` pixels, and if there is none, soft
tissue (a spot that no bone can explain, such as urine on the skin).

A skull spot that lies mostly on the facial bones is a facial spot (:func:`facial_or`): in a planar
view the skull base and the orbits overlap the face, so the labels' border there is uncertain.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bonescan.anatomy.landmarks import Landmarks
from bonescan.regions import bone_regions, region, region_by_label

__all__ = ["SEARCH_RADIUS_PX", "facial_or", "plausible_region"]

SEARCH_RADIUS_PX = 15
_MARGIN = 0.05
_ARM_MIDLINE_SHARE = 0.2
_ABOVE_SHOULDERS = ("skull", "facial_mandible", "cervical_spine")
_CAGE = ("thoracic_spine", "sternum", "ribs", "clavicle", "scapula")
_LOWER_TRUNK = ("lumbar_spine", "sacrum", "pelvis")
_LEGS = ("femur_distal", "tibia_fibula", "foot")
_ARMS = ("humerus_distal", "forearm", "hand")


def _stem(name: str) -> str:
    return name.removesuffix("_left").removesuffix("_right")


def _row(landmarks: Landmarks, name: str) -> float | None:
    point = landmarks.points.get(name)
    return None if point is None else point.row


def _row_ok(stem: str, row: float, landmarks: Landmarks, margin: float) -> bool:
    shoulders, neck = _row(landmarks, "shoulders"), _row(landmarks, "neck")
    crotch, iliac = _row(landmarks, "crotch"), _row(landmarks, "iliac_crests")
    checks: list[bool] = []
    if stem in _ABOVE_SHOULDERS and shoulders is not None:
        checks.append(row <= shoulders + margin)
    if stem in _CAGE and neck is not None and crotch is not None:
        checks.append(neck - margin <= row <= crotch + margin)
    if stem in _LOWER_TRUNK and shoulders is not None and crotch is not None:
        checks.append(shoulders - margin <= row <= crotch + 2 * margin)
    if stem == "femur_proximal" and iliac is not None:
        checks.append(row >= iliac)  # no margin upwards: the femoral heads lie well below the crests
    if stem in _LEGS and crotch is not None:
        checks.append(row >= crotch - margin)
    return all(checks)


def _is_plausible(
    label: int, row: float, column: float, landmarks: Landmarks, body: NDArray[np.bool_], margin: float
) -> bool:
    stem = _stem(region_by_label(label).name)
    if not _row_ok(stem, row, landmarks, margin):
        return False
    if stem in _ARMS:
        inside = np.flatnonzero(body[round(row)])
        if inside.size:
            midline, width = (inside[0] + inside[-1]) / 2.0, inside[-1] - inside[0] + 1
            return bool(abs(column - midline) > _ARM_MIDLINE_SHARE * width)
    return True


def plausible_region(
    label: int,
    row: float,
    column: float,
    labels: NDArray[np.uint8],
    landmarks: Landmarks,
    body: NDArray[np.bool_],
    body_length: float,
) -> int:
    """Return ``label`` if its bone can lie at (row, column), else a plausible one nearby, else soft tissue.

    Parameters
    ----------
    label : int
        The bone label under the spot's peak.
    row, column : float
        The spot's peak (upright grid).
    labels : ndarray of uint8
        The view's label map.
    landmarks : Landmarks
        The view's landmarks.
    body : ndarray of bool
        The body outline.
    body_length : float
        The body's length in rows (for the margins).
    """
    margin = _MARGIN * body_length
    if _is_plausible(label, row, column, landmarks, body, margin):
        return label
    top, left = max(int(row) - SEARCH_RADIUS_PX, 0), max(int(column) - SEARCH_RADIUS_PX, 0)
    window = labels[top : int(row) + SEARCH_RADIUS_PX + 1, left : int(column) + SEARCH_RADIUS_PX + 1]
    bones = {entry.label for entry in bone_regions()}
    values, counts = np.unique(window, return_counts=True)
    for value in values[np.argsort(-counts)]:
        candidate = int(value)
        if (
            candidate in bones
            and candidate != label
            and _is_plausible(candidate, row, column, landmarks, body, margin)
        ):
            return candidate
    return region("soft_tissue").label


def facial_or(region_name: str, spot_labels: NDArray[np.uint8]) -> str:
    """Return the facial bones for a skull spot that lies mostly on them, else ``region_name``.

    A spot whose peak falls just across the uncertain border onto the skull while more than half of
    its pixels (``spot_labels``) lie on the face is a facial spot (sinus, nasal and dental uptake are
    common and benign there).
    """
    face = region("facial_mandible")
    if region_name == "skull" and float((spot_labels == face.label).mean()) > 0.5:
        return face.name
    return region_name
