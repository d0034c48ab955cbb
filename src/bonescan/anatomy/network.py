"""Run the shipped skeleton-labelling network (ONNX, on the CPU with onnxruntime).

The network was trained on simulated bone scans only (``training/train_anatomy.py`` says how); its
weights and a description (classes, grid, training seeds, mean region areas) ship inside the package,
so nothing is downloaded at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bonescan.anatomy._onnx import Runner, load_shipped_network
from bonescan.anatomy.grid import CANONICAL_SHAPE, normalise, to_canonical
from bonescan.study import View, ViewName

__all__ = ["SkeletonNetwork", "load_network", "network_inputs"]


@dataclass(frozen=True)
class SkeletonNetwork:
    """A loaded network: a function from inputs (V, 2, 512, 128) to class scores, and its description."""

    run: Runner
    description: dict[str, Any]


def network_inputs(views: tuple[View, ...]) -> NDArray[np.float32]:
    """Return the network's input for views: normalised intensity and a view plane (0 ant, 1 post)."""
    batch = np.zeros((len(views), 2, *CANONICAL_SHAPE), dtype=np.float32)
    for index, view in enumerate(views):
        batch[index, 0] = normalise(to_canonical(view.counts, view.pixel_spacing_mm))
        batch[index, 1] = 1.0 if view.name is ViewName.POSTERIOR else 0.0
    return batch


@cache
def load_network(folder: str | None = None, threads: int | None = None) -> SkeletonNetwork:
    """Load the skeleton network shipped with bonescan (or the one in ``folder``).

    Raises
    ------
    BonescanError
        When the weights are missing from the installation.
    """
    return SkeletonNetwork(*load_shipped_network("skeleton_unet", "the skeleton network", folder, threads))
