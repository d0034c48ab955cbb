"""Bone or not, at the view's own resolution: the edge refiner.

The skeleton network works on a 4.52 mm grid; a thin bone (the cervical spine, a rib, the thoracic
spine beside the sternum) is two to four of its pixels wide, and linear resampling back to the view
rounds its edges off. The refiner is a second, small network (six 3×3 convolutions, dilations up to
8, reaching 17 pixels either side) that works on a 2.26 mm grid. It sees the view's intensity
(normalised like the skeleton network's input) and the skeleton network's probability that a pixel
is bone, and returns a corrected bone score. It runs on the view and on its mirror image and the
two scores are averaged, so that it treats the patient's left and right alike. Which bone a bone
pixel belongs to is still the skeleton network's call.

It was trained on simulated scans only (``training/train_refine.py``); its weights ship in the
package beside the skeleton network's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bonescan._masks import bounding_box
from bonescan.anatomy._onnx import Runner, load_shipped_network
from bonescan.anatomy.grid import normalise, resample
from bonescan.regions import bone_regions

__all__ = ["BONE_LABELS", "REFINE_SPACING_MM", "BoneRefiner", "load_refiner", "refine_inputs", "refined_bone"]


REFINE_SPACING_MM = 2.26
BONE_LABELS = np.array([entry.label for entry in bone_regions()])
_MARGIN_PX = 18  # beyond the network's reach of 17 pixels
_PROBABILITY_FLOOR = 1e-4
_SPACING_TOLERANCE = 0.05


@dataclass(frozen=True)
class BoneRefiner:
    """A loaded refiner: a function from inputs (1, 2, H, W) to bone scores (1, 1, H, W)."""

    run: Runner
    description: dict[str, Any]


@cache
def load_refiner(folder: str | None = None, threads: int | None = None) -> BoneRefiner:
    """Load the edge refiner shipped with bonescan (or the one in ``folder``).

    Raises
    ------
    BonescanError
        When the weights are missing from the installation.
    """
    return BoneRefiner(*load_shipped_network("bone_refine", "the bone edge refiner", folder, threads))


def refine_inputs(
    counts: NDArray[np.floating], bone_probability: NDArray[np.floating]
) -> NDArray[np.float32]:
    """Return the refiner's input (1, 2, H, W): normalised intensity and the logit of P(bone)."""
    probability = np.clip(
        np.asarray(bone_probability, dtype=np.float32), _PROBABILITY_FLOOR, 1 - _PROBABILITY_FLOOR
    )
    logit = np.log(probability / (1.0 - probability))
    return np.stack([normalise(counts), logit])[np.newaxis].astype(np.float32)


def _scores(
    refiner: BoneRefiner, counts: NDArray[np.float32], probability: NDArray[np.float32]
) -> NDArray[np.float32]:
    """Return the refiner's bone scores, treating the view and its mirror image alike.

    A refiner built to commute with mirroring (``mirror_equivariant`` in its description) runs once;
    another runs on the view and on its mirror image and the two scores are averaged.
    """
    inputs = refine_inputs(counts, probability)
    direct: NDArray[np.float32] = refiner.run(inputs)[0, 0]
    if refiner.description.get("mirror_equivariant", False):
        return direct
    mirrored = refiner.run(np.ascontiguousarray(inputs[..., ::-1]))[0, 0, :, ::-1]
    scores: NDArray[np.float32] = np.asarray((direct + mirrored) / 2.0, dtype=np.float32)
    return scores


def _scores_resampled(
    refiner: BoneRefiner,
    counts: NDArray[np.float32],
    probability: NDArray[np.float32],
    spacing_mm: tuple[float, float],
) -> NDArray[np.float32]:
    """Run the refiner on a 2.26 mm grid and bring its scores back to the view's grid."""
    target = (REFINE_SPACING_MM, REFINE_SPACING_MM)
    shape = (
        max(round(counts.shape[0] * spacing_mm[0] / REFINE_SPACING_MM), 1),
        max(round(counts.shape[1] * spacing_mm[1] / REFINE_SPACING_MM), 1),
    )
    stack = resample(np.stack([counts, probability]), shape, target, spacing_mm)
    scores = _scores(refiner, stack[0], stack[1])
    back: NDArray[np.float32] = resample(scores[np.newaxis], counts.shape, spacing_mm, target)[0]
    return back


def refined_bone(
    refiner: BoneRefiner,
    counts: NDArray[np.floating],
    bone_probability: NDArray[np.floating],
    body: NDArray[np.bool_],
    spacing_mm: tuple[float, float],
) -> NDArray[np.bool_]:
    """Return where a view is bone, refined at 2.26 mm from the skeleton network's P(bone).

    Parameters
    ----------
    refiner : BoneRefiner
        The refiner (:func:`load_refiner`).
    counts : ndarray
        The view's counts (upright).
    bone_probability : ndarray
        The skeleton network's probability of bone (any bone region), in the view's grid.
    body : ndarray of bool
        The body outline; only its bounding box (and a margin) is refined.
    spacing_mm : tuple of float
        Row and column spacing of the view.

    Returns
    -------
    ndarray of bool
        True where the pixel is bone; always False outside the body.
    """
    bone = np.zeros(body.shape, dtype=bool)
    if not body.any():
        return bone
    rows, columns = bounding_box(body, _MARGIN_PX)
    inside = np.asarray(counts, dtype=np.float32)[rows, columns]
    probability = np.asarray(bone_probability, dtype=np.float32)[rows, columns]
    near = all(abs(s / REFINE_SPACING_MM - 1.0) <= _SPACING_TOLERANCE for s in spacing_mm)
    if near:
        scores = _scores(refiner, inside, probability)
    else:
        scores = _scores_resampled(refiner, inside, probability, spacing_mm)
    bone[rows, columns] = scores > 0.0
    return bone & body
