"""The finding classifier: a small multilayer perceptron over :data:`FEATURE_NAMES`.

Its weights are trained on simulated cohorts by ``training/train_findings.py`` and shipped as JSON in
``bonescan/classify/weights/findings.json``; nothing is downloaded. The class ``normal`` stands for
candidate spots that are normal uptake (a joint, a vertebra brighter than the gap next to it); the
others are the labels of :data:`FINDING_LABELS`. Features are standardised, pass through ReLU layers and
a softmax; it runs in numpy (no deep-learning library at run time). Probabilities were checked for
calibration on held-out simulated scans (see ``docs/performance.md``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bonescan.classify.features import FEATURE_NAMES
from bonescan.errors import InputError

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


def _softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))


@dataclass(frozen=True, eq=False)
class FindingModel:
    """Standardisation, layers and class names of the finding classifier."""

    classes: tuple[str, ...]
    mean: NDArray[np.float64]
    scale: NDArray[np.float64]
    layers: tuple[tuple[NDArray[np.float64], NDArray[np.float64]], ...]
    description: dict[str, Any]

    def standardise(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return ``features`` centred and scaled as in training."""
        return np.asarray((features - self.mean) / self.scale)

    def probabilities(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return one row of class probabilities (in :attr:`classes` order) per row of ``features``."""
        if features.shape[0] == 0:
            return np.zeros((0, len(self.classes)))
        values = self.standardise(features)
        for index, (weights, bias) in enumerate(self.layers):
            values = values @ weights + bias
            if index < len(self.layers) - 1:
                values = np.maximum(values, 0.0)
        return _softmax(values)

    def to_json(self) -> dict[str, Any]:
        """Return the model as the JSON document it is shipped as."""
        return {
            "features": list(FEATURE_NAMES),
            "classes": list(self.classes),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "layers": [{"weights": w.tolist(), "bias": b.tolist()} for w, b in self.layers],
            "description": self.description,
        }


def _from_json(document: dict[str, Any], source: str) -> FindingModel:
    if tuple(document.get("features", ())) != FEATURE_NAMES:
        raise InputError(source, "the finding model was trained on other features; retrain it")
    return FindingModel(
        classes=tuple(document["classes"]),
        mean=np.asarray(document["mean"], dtype=np.float64),
        scale=np.asarray(document["scale"], dtype=np.float64),
        layers=tuple(
            (np.asarray(layer["weights"], dtype=np.float64), np.asarray(layer["bias"], dtype=np.float64))
            for layer in document["layers"]
        ),
        description=dict(document.get("description", {})),
    )


@cache
def _shipped() -> FindingModel:
    text = resources.files("bonescan.classify").joinpath("weights/findings.json").read_text()
    return _from_json(json.loads(text), "bonescan/classify/weights/findings.json")


def load_finding_model(path: str | Path | None = None) -> FindingModel:
    """Load the finding classifier: the one shipped with bonescan, or one from ``path``."""
    if path is None:
        return _shipped()
    source = Path(path)
    try:
        document = json.loads(source.read_text())
    except (OSError, ValueError) as error:
        raise InputError(source, f"cannot read the finding model: {error}") from error
    return _from_json(document, str(source))
