"""``segment``: label the skeleton by region in every view of a study.

Method: a small U-Net (:mod:`bonescan.anatomy.network`) scores every region registry label on a
canonical 512×128 grid of 4.52 mm; the scores are resampled linearly to the view's own grid. A second
small network (:mod:`bonescan.anatomy.refine`) decides at 2.26 mm which pixels are bone; a bone pixel
takes the most probable bone region, any other pixel the most probable non-bone label. Pixels outside
the body outline become background and unlabelled pixels inside it soft tissue. Landmarks are found
from the outline and the uptake (:mod:`bonescan.anatomy.landmarks`); femur below the knees or tibia
above them is relabelled (:mod:`bonescan.anatomy.consistency`). Extreme activity away from the
bladder (a catheter's collection bag, urine contamination; :mod:`bonescan.anatomy.urine`) is replaced
by the uptake around it before any of this, and its pixels are kept with the anatomy for detection.
A bone region whose area is under a quarter of what training scans show is reported missing, with
the reason (cut off at an image edge, or not found), rather than guessed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from bonescan._body import body_mask
from bonescan._masks import bounding_box, values_by_label
from bonescan.anatomy.consistency import keep_leg_order
from bonescan.anatomy.grid import from_canonical, from_canonical_channels
from bonescan.anatomy.landmarks import find_landmarks
from bonescan.anatomy.model import Anatomy, RegionStatus, ViewAnatomy
from bonescan.anatomy.network import SkeletonNetwork, load_network, network_inputs
from bonescan.anatomy.refine import BONE_LABELS, BoneRefiner, load_refiner, refined_bone
from bonescan.anatomy.urine import urine_outside_bladder, without_urine
from bonescan.regions import REGIONS, RegionKind, region
from bonescan.study import Study, View

__all__ = ["segment", "view_probabilities"]

logger = logging.getLogger(__name__)

_MISSING_FRACTION = 0.25
_EDGE_PX = 2
_HEAD = {"skull", "facial_mandible"}
_FEET = {"foot_left", "foot_right", "tibia_fibula_left", "tibia_fibula_right"}
_ARMS = {"hand", "forearm", "humerus_distal", "humerus_proximal"}


def _softmax(scores: NDArray[np.float32]) -> NDArray[np.float32]:
    shifted: NDArray[np.float32] = np.subtract(scores, scores.max(axis=0, keepdims=True), dtype=np.float32)
    np.exp(shifted, out=shifted)  # in place: the stack is large
    np.divide(shifted, shifted.sum(axis=0, keepdims=True), out=shifted)
    return shifted


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
    by_label = values_by_label(labels, confidence)
    for entry in REGIONS:
        if entry.kind not in (RegionKind.BONE, RegionKind.ORGAN):
            continue
        scores = by_label.get(entry.label)
        area = 0 if scores is None else int(scores.size)
        score = float(scores.mean()) if scores is not None else 0.0
        typical = expected.get(f"{view.name}/{entry.name}", 0.0)
        reason = None
        if entry.kind is RegionKind.BONE and area * pixel_mm2 < _MISSING_FRACTION * typical:
            reason = _missing_reason(entry.name, edges)
        statuses[entry.name] = RegionStatus(score, area, reason)
    return statuses


def _best_class(
    probabilities: Iterable[NDArray[np.float32]],
) -> tuple[NDArray[np.uint8], NDArray[np.float32]]:
    """Return the most probable class and its probability per pixel (one pass per class: fast).

    ``probabilities`` gives one array per class, in class order: a stack, or a stream of them.
    """
    classes = iter(probabilities)
    best = np.array(next(classes), dtype=np.float32)
    labels = np.zeros(best.shape, dtype=np.uint8)
    for index, channel in enumerate(classes, start=1):
        better = channel > best
        np.copyto(best, channel, where=better)
        np.copyto(labels, index, where=better, casting="unsafe")
    return labels, best


def view_probabilities(view: View, scores: NDArray[np.float32]) -> NDArray[np.float32]:
    """Return the skeleton network's class probabilities (classes, rows, columns) in a view's grid."""
    return from_canonical(_softmax(scores), view.shape, view.pixel_spacing_mm)


def _network_labels(
    view: View, scores: NDArray[np.float32]
) -> tuple[NDArray[np.uint8], NDArray[np.float32], NDArray[np.intp], NDArray[np.float32]]:
    """Return the network's best class per pixel of the view, its probability, and the non-bones.

    The non-bones: the classes that are not bones, and their probabilities. The classes are
    resampled to the view's grid one at a time (with the values :func:`view_probabilities` gives),
    so that a view of fine pixels never holds them all at its size.
    """
    probabilities = _softmax(scores)
    others = np.setdiff1d(np.arange(probabilities.shape[0]), BONE_LABELS)
    place = {int(label): position for position, label in enumerate(others)}
    other_probabilities = np.empty((others.size, *view.shape), dtype=np.float32)

    def keeping_the_non_bones(channels: Iterable[NDArray[np.float32]]) -> Iterator[NDArray[np.float32]]:
        for index, channel in enumerate(channels):
            if index in place:
                other_probabilities[place[index]] = channel
            yield channel

    channels = from_canonical_channels(probabilities, view.shape, view.pixel_spacing_mm)
    labels, best = _best_class(keeping_the_non_bones(channels))
    return labels, best, others, other_probabilities


def _nearest(
    features: NDArray[np.bool_], queries: NDArray[np.bool_]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Return the nearest pixel of ``features`` to each pixel of ``queries`` (row-major order).

    The Euclidean feature transform of ``ndimage.distance_transform_edt``, worked out only on the box
    that holds both: no pixel outside it is a feature, so inside it the answer is the same (ties
    included) as on the whole view, at a fraction of the cost.
    """
    either = features | queries
    box = bounding_box(either)
    nearest = ndimage.distance_transform_edt(~features[box], return_distances=False, return_indices=True)
    inside = queries[box]
    return nearest[0][inside] + box[0].start, nearest[1][inside] + box[1].start


def _refined_labels(
    view: View, scores: NDArray[np.float32], body: NDArray[np.bool_], refiner: BoneRefiner
) -> tuple[NDArray[np.uint8], NDArray[np.float32]]:
    """Return labels and confidence: bone or not from the refiner, which bone or organ from the network.

    A pixel the refiner calls bone keeps the network's label where the network called it bone too,
    and otherwise takes the label of the nearest pixel the network called bone (where the network
    saw no bone its ranking of bones means little). A pixel the refiner calls not bone takes the most
    probable label that is not a bone.
    """
    labels, confidence, others, other_probabilities = _network_labels(view, scores)
    network_bone = np.isin(labels, BONE_LABELS)
    bone_probability = np.clip(1.0 - other_probabilities.sum(axis=0), 0.0, 1.0)
    bone = refined_bone(refiner, view.counts, bone_probability, body, view.pixel_spacing_mm)
    added = bone & ~network_bone
    if added.any() and network_bone.any():
        labels[added] = labels[_nearest(network_bone, added)]
    removed = network_bone & ~bone
    if removed.any():
        other_index, other_confidence = _best_class(other_probabilities[:, removed])
        labels[removed] = others[other_index]
        confidence[removed] = other_confidence
    return labels, confidence


def _view_anatomy(
    view: View,
    body: NDArray[np.bool_],
    scores: NDArray[np.float32],
    network: SkeletonNetwork,
    refiner: BoneRefiner,
    urine: NDArray[np.bool_] | None,
) -> ViewAnatomy:
    labels, confidence = _refined_labels(view, scores, body, refiner)
    labels[~body] = region("background").label
    labels[body & (labels == region("background").label)] = region("soft_tissue").label
    landmarks = find_landmarks(view.counts, view.pixel_spacing_mm, body)
    points = landmarks.points
    labels = keep_leg_order(
        labels, points.get("knees"), view.pixel_spacing_mm[0], points.get("vertex"), points.get("soles")
    )
    statuses = _region_status(labels, confidence, view, network, body)
    return ViewAnatomy(view.name, labels, body, landmarks, statuses, urine)


def _urine(view: View) -> NDArray[np.bool_] | None:
    mask = urine_outside_bladder(view.counts, view.pixel_spacing_mm)
    if not mask.any():
        return None
    logger.info(
        "%s view: extreme activity away from the bladder (%d pixels) left out", view.name.value, mask.sum()
    )
    return mask


def segment(
    study: Study, *, network: SkeletonNetwork | None = None, refiner: BoneRefiner | None = None
) -> Anatomy:
    """Label every pixel of every view of ``study`` with a region of the registry.

    Parameters
    ----------
    study : Study
        The study, views upright (as :func:`~bonescan.load_study` returns them).
    network : SkeletonNetwork, optional
        The network to use; by default the one shipped with bonescan.
    refiner : BoneRefiner, optional
        The edge refiner to use; by default the one shipped with bonescan.

    Returns
    -------
    Anatomy
        Per view: label map, body outline, landmarks, and per region its confidence or why it is
        missing.
    """
    chosen = network or load_network()
    edges = refiner or load_refiner()
    urine = [_urine(view) for view in study.views]
    plain = tuple(
        view if mask is None else replace(view, counts=without_urine(view.counts, mask))
        for view, mask in zip(study.views, urine, strict=True)
    )
    bodies = [body_mask(view.counts) for view in plain]
    scores = chosen.run(network_inputs(plain))
    views = tuple(
        _view_anatomy(view, body, scores[index], chosen, edges, urine[index])
        for index, (view, body) in enumerate(zip(plain, bodies, strict=True))
    )
    method = (
        f"U-Net on a 4.52 mm canonical grid ({chosen.description.get('name', 'skeleton_unet')}), "
        f"bone edges refined at 2.26 mm ({edges.description.get('name', 'bone_refine')})"
    )
    logger.info("segmented %d view(s)", len(views))
    return Anatomy(views, method)
