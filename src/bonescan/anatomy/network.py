"""Run the shipped skeleton-labelling network (ONNX, on the CPU with onnxruntime).

The network was trained on simulated bone scans only (``training/train_anatomy.py`` says how); its
weights and a description (classes, grid, training seeds, mean region areas) ship inside the package,
so nothing is downloaded at run time.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bonescan.anatomy._onnx import Runner, onnx_runner
from bonescan.anatomy.grid import CANONICAL_SHAPE, normalise, to_canonical
from bonescan.errors import BonescanError
from bonescan.study import View, ViewName

__all__ = ["SkeletonNetwork", "load_network", "network_inputs"]

logger = logging.getLogger(__name__)

_WEIGHTS = "skeleton_unet.onnx"
_DESCRIPTION = "skeleton_unet.json"


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
    base = Path(folder) if folder else Path(str(resources.files("bonescan.anatomy") / "weights"))
    weights, description = base / _WEIGHTS, base / _DESCRIPTION
    if not weights.is_file() or not description.is_file():
        raise BonescanError(f"{weights}: the skeleton network is missing from this installation")
    logger.debug("loading %s", weights)
    return SkeletonNetwork(onnx_runner(weights, threads), json.loads(description.read_text()))
