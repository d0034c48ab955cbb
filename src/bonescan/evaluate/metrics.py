"""Generic statistics of the evaluations: proportions, Pearson r, Mann-Whitney AUC, FROC points.

Every function is pure and takes plain sequences of numbers. A figure that is undefined for the data
given (no values, a single value, no spread) is returned as ``None`` rather than raised or returned
as NaN, so that callers can report it next to its count (``n = 0``) and write it to JSON.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

__all__ = [
    "FrocPoint",
    "Proportion",
    "auc_mann_whitney",
    "froc_points",
    "mean_absolute_error",
    "mean_and_sd",
    "pearson",
    "sensitivity_specificity",
    "threshold_for_sensitivity",
]


@dataclass(frozen=True)
class Proportion:
    """A count out of a total, such as the detected lesions out of all lesions of a class.

    Attributes
    ----------
    count : int
        Number of successes (detected lesions, correctly called patients, ...).
    n : int
        Number of trials; 0 for an empty group.
    """

    count: int
    n: int

    @property
    def value(self) -> float | None:
        """The proportion ``count / n``, or None when ``n`` is 0."""
        return self.count / self.n if self.n else None


@dataclass(frozen=True)
class FrocPoint:
    """One point of a free-response ROC curve.

    Attributes
    ----------
    threshold : float
        Score at or above which a detection is called positive.
    sensitivity : float or None
        Share of the target lesions matched by a positive detection (None without target lesions).
    fp_per_scan : float or None
        Positive false detections per scan (None without scans).
    detected : int
        Target lesions matched by a positive detection.
    lesions : int
        Target lesions.
    false_positives : int
        Positive false detections.
    scans : int
        Scans.
    """

    threshold: float
    sensitivity: float | None
    fp_per_scan: float | None
    detected: int
    lesions: int
    false_positives: int
    scans: int


def _finite(values: Sequence[float]) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(array)):
        raise ValueError("values must be finite numbers")
    return array


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Return the Pearson correlation coefficient of two paired samples.

    Parameters
    ----------
    x, y : sequence of float
        Paired values, same length.

    Returns
    -------
    float or None
        r in [-1, 1]; None with fewer than 2 pairs or when either sample has no spread.

    Raises
    ------
    ValueError
        When the lengths differ or a value is not finite.
    """
    if len(x) != len(y):
        raise ValueError(f"pearson needs paired samples, got {len(x)} and {len(y)} values")
    if len(x) < 2:
        return None
    a, b = _finite(x), _finite(y)
    da, db = a - a.mean(), b - b.mean()
    denominator = math.sqrt(float(np.sum(da * da)) * float(np.sum(db * db)))
    if denominator == 0.0:
        return None
    return max(-1.0, min(1.0, float(np.sum(da * db)) / denominator))


def auc_mann_whitney(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """Return the area under the ROC curve from the Mann-Whitney U statistic.

    The AUC is the probability that a random positive scores higher than a random negative, ties
    counting one half: ``(sum over pairs of [p > q] + 0.5 [p == q]) / (n_pos * n_neg)``. It is
    computed from average ranks, in O(n log n).

    Parameters
    ----------
    positives : sequence of float
        Scores of the positive items.
    negatives : sequence of float
        Scores of the negative items.

    Returns
    -------
    float or None
        AUC in [0, 1]; None when either group is empty.

    Raises
    ------
    ValueError
        When a score is not finite.
    """
    n_pos, n_neg = len(positives), len(negatives)
    if n_pos == 0 or n_neg == 0:
        return None
    scores = np.concatenate([_finite(positives), _finite(negatives)])
    ranks = rankdata(scores)
    u = float(ranks[:n_pos].sum()) - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)


def sensitivity_specificity(
    scores: Sequence[float], positive: Sequence[bool], threshold: float
) -> tuple[Proportion, Proportion]:
    """Return sensitivity and specificity of calling ``score >= threshold`` positive.

    Parameters
    ----------
    scores : sequence of float
        One score per item.
    positive : sequence of bool
        Whether each item is truly positive.
    threshold : float
        Items scoring at or above it are called positive.

    Returns
    -------
    tuple of Proportion
        Sensitivity (true positives out of positives) and specificity (true negatives out of
        negatives); an empty group has ``n == 0`` and value None.

    Raises
    ------
    ValueError
        When the lengths differ.
    """
    if len(scores) != len(positive):
        raise ValueError(f"{len(scores)} scores for {len(positive)} labels")
    tp = sum(1 for s, p in zip(scores, positive, strict=True) if p and s >= threshold)
    tn = sum(1 for s, p in zip(scores, positive, strict=True) if not p and s < threshold)
    n_pos = sum(1 for p in positive if p)
    return Proportion(tp, n_pos), Proportion(tn, len(positive) - n_pos)


def threshold_for_sensitivity(positives: Sequence[float], target: float) -> float | None:
    """Return the highest threshold at which ``score >= threshold`` reaches a sensitivity.

    Parameters
    ----------
    positives : sequence of float
        Scores of the positive items.
    target : float
        Sensitivity to reach, in (0, 1].

    Returns
    -------
    float or None
        The k-th highest positive score, k = ceil(target * n); None without positives.

    Raises
    ------
    ValueError
        When ``target`` is outside (0, 1].
    """
    if not 0.0 < target <= 1.0:
        raise ValueError(f"target sensitivity must be in (0, 1], got {target}")
    if not positives:
        return None
    ordered = sorted(positives, reverse=True)
    k = max(1, math.ceil(target * len(ordered) - 1e-9))
    return float(ordered[k - 1])


def mean_and_sd(values: Sequence[float]) -> tuple[float | None, float | None]:
    """Return the mean and the sample standard deviation (``ddof=1``) of values.

    Parameters
    ----------
    values : sequence of float
        The sample.

    Returns
    -------
    tuple of float or None
        Mean (None when empty) and SD (None with fewer than 2 values).
    """
    if not values:
        return None, None
    array = _finite(values)
    mean = float(array.mean())
    sd = float(array.std(ddof=1)) if array.size >= 2 else None
    return mean, sd


def mean_absolute_error(predicted: Sequence[float], truth: Sequence[float]) -> float | None:
    """Return the mean of ``|predicted - truth|`` (None when empty).

    Parameters
    ----------
    predicted, truth : sequence of float
        Paired values, same length.

    Returns
    -------
    float or None
        The mean absolute difference.

    Raises
    ------
    ValueError
        When the lengths differ.
    """
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} predicted values for {len(truth)} true values")
    if not predicted:
        return None
    return float(np.mean(np.abs(_finite(predicted) - _finite(truth))))


def froc_points(
    lesion_scores: Sequence[float | None],
    false_positive_scores: Sequence[float],
    scans: int,
    thresholds: Sequence[float],
) -> list[FrocPoint]:
    """Return FROC points: lesion sensitivity against false positives per scan, per threshold.

    Parameters
    ----------
    lesion_scores : sequence of float or None
        For each target lesion, the score of the detection matched to it, or None when missed.
    false_positive_scores : sequence of float
        Scores of the detections that match no target lesion and count as false.
    scans : int
        Number of scans the lesions and detections come from.
    thresholds : sequence of float
        Thresholds, in the order the points are returned.

    Returns
    -------
    list of FrocPoint
        One per threshold; both sensitivity and false positives per scan never rise with the
        threshold.
    """
    hits = np.asarray([s for s in lesion_scores if s is not None], dtype=float)
    false = np.asarray(false_positive_scores, dtype=float)
    points = []
    for threshold in thresholds:
        detected = int(np.count_nonzero(hits >= threshold))
        false_positives = int(np.count_nonzero(false >= threshold))
        points.append(
            FrocPoint(
                threshold=float(threshold),
                sensitivity=detected / len(lesion_scores) if lesion_scores else None,
                fp_per_scan=false_positives / scans if scans else None,
                detected=detected,
                lesions=len(lesion_scores),
                false_positives=false_positives,
                scans=scans,
            )
        )
    return points
