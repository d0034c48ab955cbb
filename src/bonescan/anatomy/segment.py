"""``segment``: label the skeleton by region in every view of a study.

Method: a small U-Net (:mod:`bonescan.anatomy.network`) scores every region registry label on a
canonical 512×128 grid of 4.52 mm; the scores are resampled linearly to the view's own grid and the
best label taken. Pixels outside the body outline become background and unlabelled pixels inside it
soft tissue. Landmarks are found from the outline and the uptake (:mod:`bonescan.anatomy.landmarks`);
femur below the knees or tibia above them is relabelled (:mod:`bonescan.anatomy.consistency`).
A bone region whose area is under a quarter of what training scans show is reported missing, with
the reason (cut off at an image edge, or not found), rather than guessed.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import NDArray

from bonescan._body import body_mask
from bonescan.anatomy.consistency import keep_leg_order
from bonescan.anatomy.grid import from_canonical
from bonescan.anatomy.landmarks import find_landmarks
from bonescan.anatomy.model import Anatomy, RegionStatus, ViewAnatomy
from bonescan.anatomy.network import SkeletonNetwork, load_network, network_inputs
from bonescan.regions import REGIONS, RegionKind, region
from bonescan.study import Study, View

__all__ = ["segment"]

logger = logging.getLogger(__name__)

_MISSING_FRACTION = 0.25
_EDGE_PX = 2
_HEAD = {"skull", "facial_mandible"}
_FEET = {"foot_left", "foot_right", "tibia_fibula_left", "tibia_fibula_right"}
_ARMS = {"hand", "forearm", "humerus_distal", "humerus_proximal"}


def _softmax(scores: NDArray[np.float32]) -> NDArray[np.float32]:
    shifted = np.exp(scores - scores.max(axis=0, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=0, keepdims=True), dtype=np.float32)


def _touches_edge(body: NDArray[np.bool_]) -> dict[str, bool]:
    return {
        "top": bool(body[:_EDGE_PX].any()),
        "bottom": bool(body[-_EDGE_PX:].any()),
        "sides": bool(body[:, :_EDGE_PX].any() or body[:, -_EDGE_PX:].any()),
    }


def _missing_reason(name: str, edges: dict[str, bool]) -> str:
    stem = name.rsplit("_", 1)[0]
    if name in _HEAD and edges["top"]:
        return "cut off at the top of the image"
    if name in _FEET and edges["bottom"]:
        return "cut off at the bottom of the image"
    if stem in _ARMS and edges["sides"]:
        return "the arm reaches the side of the image: outside the field"
    return "not found in this view"


def _region_status(
    labels: NDArray[np.uint8],
    confidence: NDArray[np.float32],
    view: View,
    network: SkeletonNetwork,
    body: NDArray[np.bool_],
) -> dict[str, RegionStatus]:
    expected: dict[str, float] = network.description.get("mean_area_mm2", {})
    pixel_mm2 = view.pixel_spacing_mm[0] * view.pixel_spacing_mm[1]
    edges = _touches_edge(body)
    statuses = {}
    for entry in REGIONS:
        if entry.kind not in (RegionKind.BONE, RegionKind.ORGAN):
            continue
        mask = labels == entry.label
        area = int(mask.sum())
        score = float(confidence[mask].mean()) if area else 0.0
        typical = expected.get(f"{view.name}/{entry.name}", 0.0)
        reason = None
        if entry.kind is RegionKind.BONE and area * pixel_mm2 < _MISSING_FRACTION * typical:
            reason = _missing_reason(entry.name, edges)
        statuses[entry.name] = RegionStatus(score, area, reason)
    return statuses


def _best_class(probabilities: NDArray[np.float32]) -> tuple[NDArray[np.uint8], NDArray[np.float32]]:
    """Return the most probable class and its probability per pixel (one pass per class: fast)."""
    best = probabilities[0].copy()
    labels = np.zeros(best.shape, dtype=np.uint8)
    for index in range(1, probabilities.shape[0]):
        better = probabilities[index] > best
        np.copyto(best, probabilities[index], where=better)
        labels[better] = index
    return labels, best


def _view_anatomy(
    view: View, body: NDArray[np.bool_], scores: NDArray[np.float32], network: SkeletonNetwork
) -> ViewAnatomy:
    probabilities = from_canonical(_softmax(scores), view.shape, view.pixel_spacing_mm)
    labels, confidence = _best_class(probabilities)
    labels[~body] = region("background").label
    labels[body & (labels == region("background").label)] = region("soft_tissue").label
    landmarks = find_landmarks(view.counts, view.pixel_spacing_mm, body)
    labels = keep_leg_order(labels, landmarks.points.get("knees"), view.pixel_spacing_mm[0])
    statuses = _region_status(labels, confidence, view, network, body)
    return ViewAnatomy(view.name, labels, body, landmarks, statuses)


def segment(study: Study, *, network: SkeletonNetwork | None = None) -> Anatomy:
    """Label every pixel of every view of ``study`` with a region of the registry.

    Parameters
    ----------
    study : Study
        The study, views upright (as :func:`~bonescan.load_study` returns them).
    network : SkeletonNetwork, optional
        The network to use; by default the one shipped with bonescan.

    Returns
    -------
    Anatomy
        Per view: label map, body outline, landmarks, and per region its confidence or why it is
        missing.
    """
    chosen = network or load_network()
    bodies = [body_mask(view.counts) for view in study.views]
    scores = chosen.run(network_inputs(study.views))
    views = tuple(
        _view_anatomy(view, body, scores[index], chosen)
        for index, (view, body) in enumerate(zip(study.views, bodies, strict=True))
    )
    method = f"U-Net on a 4.52 mm canonical grid ({chosen.description.get('name', 'skeleton_unet')})"
    logger.info("segmented %d view(s)", len(views))
    return Anatomy(views, method)
