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

A model may name a **second reader** (``"second_reader"`` in its JSON description): another network,
trained on a later version of the simulator, that reads the candidates the first keeps and can only
lower the malignant probability (metastasis plus myeloma or lytic lesion), never raise it. Where it gives the
lower value, that value stands, and the probability it frees goes to the benign abnormal classes in
the second reader's proportions (a spot it reads as spondylosis becomes degenerative); the normal
class, which decides whether a candidate is a finding at all, stays the first reader's. So the second
reader removes false metastases the first reader was never shown (its simulator drew no spondylosis),
while what the first reader drops or calls benign stays as it was. The patient model, fitted on
the first reader's judgements, goes on reading those (:func:`~bonescan.classify.judge.judge_readings`).
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

__all__ = ["FINDING_LABELS", "MALIGNANT_CLASSES", "NORMAL", "FindingModel", "load_finding_model"]

NORMAL = "normal"
#: The classes whose probabilities sum to a finding's metastasis probability.
MALIGNANT_CLASSES: tuple[str, ...] = ("metastasis", "myeloma_or_lytic")
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
    second_reader: FindingModel | None = None

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

        Returns
        -------
        ndarray
            The reported reading: the first reader's (:meth:`first_reading`), lowered by the second
            reader if there is one (:meth:`second_reading`).
        """
        return self.second_reading(self.first_reading(features, patches), features, patches)

    def first_reading(
        self, features: NDArray[np.float64], patches: NDArray[np.float32]
    ) -> NDArray[np.float64]:
        """Return this network's own class probabilities, without its second reader."""
        if features.shape[0] == 0:
            return np.zeros((0, len(self.classes)))
        used = features if self.feature_columns is None else features[:, list(self.feature_columns)]
        standard = np.asarray((used - self.mean) / self.scale, dtype=np.float32)
        scores = self.scorer(np.asarray(patches, dtype=np.float32), standard)
        return _softmax(np.asarray(scores, dtype=np.float64))

    def second_reading(
        self,
        first: NDArray[np.float64],
        features: NDArray[np.float64],
        patches: NDArray[np.float32],
        consulted: NDArray[np.bool_] | None = None,
    ) -> NDArray[np.float64]:
        """Return ``first`` lowered by the second reader (:func:`lowered_by_second_reader`).

        Parameters
        ----------
        first : ndarray
            :meth:`first_reading` of the same findings.
        features, patches : ndarray
            As :meth:`probabilities`.
        consulted : ndarray of bool, optional
            The rows the second reader reads (all by default); the others keep the first reading
            (the findings that are dropped as normal uptake need no second opinion).

        Returns
        -------
        ndarray
            ``first`` itself when there is no second reader or no row is consulted, else a new array.
        """
        rows = np.ones(len(first), dtype=bool) if consulted is None else np.asarray(consulted, dtype=bool)
        if self.second_reader is None or not rows.any():
            return first
        channels = self.second_reader.patch_channels
        second = self.second_reader.first_reading(features[rows], patches[rows][:, :channels])
        lowered = first.copy()
        lowered[rows] = lowered_by_second_reader(
            first[rows], self.classes, second, self.second_reader.classes
        )
        return lowered


def _columns(classes: tuple[str, ...], names: tuple[str, ...]) -> list[int]:
    return [index for index, name in enumerate(classes) if name in names]


def lowered_by_second_reader(
    first: NDArray[np.float64],
    classes: tuple[str, ...],
    second: NDArray[np.float64],
    second_classes: tuple[str, ...],
) -> NDArray[np.float64]:
    """Return ``first`` with its malignant probability lowered to ``second``'s where that is lower.

    Parameters
    ----------
    first, second : ndarray, shape (n, len(classes)) and (n, len(second_classes))
        Class probabilities of the first and the second reader for the same findings.
    classes, second_classes : tuple of str
        Their class names.

    Returns
    -------
    ndarray
        ``first``, with the malignant classes of each row scaled down to the second reader's
        malignant probability where that is lower, and the freed probability spread over the
        benign abnormal classes in the second reader's proportions (in the first's, where the second
        gives them none). The normal class is never touched, and no malignant probability rises.
    """
    malignant = _columns(classes, MALIGNANT_CLASSES)
    benign = [name for name in classes if name not in (*MALIGNANT_CLASSES, NORMAL)]
    first_malignant = first[:, malignant].sum(axis=1)
    second_malignant = second[:, _columns(second_classes, MALIGNANT_CLASSES)].sum(axis=1)
    lowered = np.minimum(first_malignant, second_malignant)
    result = first.copy()
    result[:, malignant] *= (lowered / np.maximum(first_malignant, 1e-12))[:, None]
    own = first[:, [classes.index(name) for name in benign]]
    shares = np.column_stack(
        [
            second[:, second_classes.index(name)] if name in second_classes else np.zeros(len(first))
            for name in benign
        ]
    )
    shares = np.where(shares.sum(axis=1, keepdims=True) > 1e-9, shares, own + 1e-12)
    spread = shares / shares.sum(axis=1, keepdims=True)
    result[:, [classes.index(name) for name in benign]] += (first_malignant - lowered)[:, None] * spread
    return result


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
    second = document.get("second_reader")
    return FindingModel(
        classes=tuple(document["classes"]),
        mean=np.asarray(document["mean"], dtype=np.float64),
        scale=np.asarray(document["scale"], dtype=np.float64),
        scorer=_onnx_scorer(weights),
        patch_px=int(document["patch_px"]),
        description=dict(document.get("description", {})),
        patch_channels=int(document.get("patch_channels", 3)),
        feature_columns=columns,
        second_reader=None if second is None else _from_file(folder / str(second)),
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
    return _from_file(Path(path))


def _from_file(source: Path) -> FindingModel:
    try:
        document = json.loads(source.read_text())
    except (OSError, ValueError) as error:
        raise InputError(source, f"cannot read the finding model: {error}") from error
    return _from_json(document, source.parent, str(source))
