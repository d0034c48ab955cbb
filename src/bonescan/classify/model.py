"""The finding classifier: a small CNN on the image around a spot, joined with the spot's features.

The network (``training/patchnet.py``) takes the patch of the finding (its main spot's three channels,
and for a model with six the other view's three; :mod:`bonescan.detect.patches`) and the standardised
:data:`FEATURE_NAMES`, and gives a score per class; a softmax turns them into probabilities. It is
trained on simulated cohorts by ``training/train_findings.py`` and shipped as ONNX
(``bonescan/classify/weights/findings.onnx``, run with onnxruntime) with a JSON description (classes,
standardisation); nothing is downloaded. The class ``normal`` stands for candidate spots that are normal
uptake (a joint, a vertebra next to a disc, the tip of a bone); the others are the labels of
:data:`FINDING_LABELS`. The reliability of the probabilities on held-out simulated scans is in
``docs/performance.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bonescan.classify.features import FEATURE_NAMES
from bonescan.errors import BonescanError, InputError

__all__ = ["FINDING_LABELS", "NORMAL", "FindingModel", "load_finding_model"]

NORMAL = "normal"
#: The labels a reported finding can carry.
FINDING_LABELS: tuple[str, ...] = (
    "metastasis",
    "degenerative",
    "fracture",
    "paget",
    "osteomyelitis",
    "prosthesis_related",
    "myeloma_or_lytic",
    "physiological",
    "artefact",
    "indeterminate",
)

_Scorer = Callable[[NDArray[np.float32], NDArray[np.float32]], NDArray[np.float32]]


def _softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))


@dataclass(frozen=True, eq=False)
class FindingModel:
    """Standardisation, scorer and class names of the finding classifier."""

    classes: tuple[str, ...]
    mean: NDArray[np.float64]
    scale: NDArray[np.float64]
    scorer: _Scorer
    patch_px: int
    description: dict[str, Any]
    patch_channels: int = 3
    feature_columns: tuple[int, ...] | None = None

    def probabilities(
        self, features: NDArray[np.float64], patches: NDArray[np.float32]
    ) -> NDArray[np.float64]:
        """Return one row of class probabilities (in :attr:`classes` order) per finding.

        Parameters
        ----------
        features : ndarray, shape (n, len(FEATURE_NAMES))
            The findings' features (:func:`~bonescan.classify.features.feature_matrix`); a model
            trained on fewer of them takes its own (:attr:`feature_columns`).
        patches : ndarray, shape (n, patch_channels, patch_px, patch_px)
            The findings' patches (:func:`~bonescan.detect.patches.finding_patch`, first
            :attr:`patch_channels` channels).
        """
        if features.shape[0] == 0:
            return np.zeros((0, len(self.classes)))
        used = features if self.feature_columns is None else features[:, list(self.feature_columns)]
        standard = np.asarray((used - self.mean) / self.scale, dtype=np.float32)
        scores = self.scorer(np.asarray(patches, dtype=np.float32), standard)
        return _softmax(np.asarray(scores, dtype=np.float64))


def _onnx_scorer(path: Path) -> _Scorer:
    try:
        import onnxruntime
    except ImportError as error:  # pragma: no cover - a dependency
        raise BonescanError("onnxruntime is not installed; reinstall bonescan") from error
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def score(patches: NDArray[np.float32], features: NDArray[np.float32]) -> NDArray[np.float32]:
        return np.asarray(session.run(None, {"patch": patches, "features": features})[0], dtype=np.float32)

    return score


def _feature_columns(names: list[str], source: str) -> tuple[int, ...] | None:
    """Return where the model's features lie in :data:`FEATURE_NAMES` (None: all, in order)."""
    if not names:
        raise InputError(source, "the finding model names no features; retrain it")
    unknown = [name for name in names if name not in FEATURE_NAMES]
    if unknown:
        raise InputError(source, f"the finding model was trained on other features ({unknown}); retrain it")
    columns = tuple(FEATURE_NAMES.index(name) for name in names)
    return None if columns == tuple(range(len(FEATURE_NAMES))) else columns


def _from_json(document: dict[str, Any], folder: Path, source: str) -> FindingModel:
    columns = _feature_columns(list(document.get("features", ())), source)
    weights = folder / str(document["onnx"])
    if not weights.is_file():
        raise BonescanError(f"{weights}: the finding classifier is missing from this installation")
    return FindingModel(
        classes=tuple(document["classes"]),
        mean=np.asarray(document["mean"], dtype=np.float64),
        scale=np.asarray(document["scale"], dtype=np.float64),
        scorer=_onnx_scorer(weights),
        patch_px=int(document["patch_px"]),
        description=dict(document.get("description", {})),
        patch_channels=int(document.get("patch_channels", 3)),
        feature_columns=columns,
    )


@cache
def _shipped() -> FindingModel:
    folder = Path(str(resources.files("bonescan.classify") / "weights"))
    return _from_json(
        json.loads((folder / "findings.json").read_text()), folder, str(folder / "findings.json")
    )


def load_finding_model(path: str | Path | None = None) -> FindingModel:
    """Load the finding classifier: the one shipped with bonescan, or the description at ``path``."""
    if path is None:
        return _shipped()
    source = Path(path)
    try:
        document = json.loads(source.read_text())
    except (OSError, ValueError) as error:
        raise InputError(source, f"cannot read the finding model: {error}") from error
    return _from_json(document, source.parent, str(source))
