"""Dice of the skeleton labelling per region against the label maps of a simulated cohort.

For every scan (``case*/baseline.dcm`` with its ``baseline.maps.npz``) and every view, the Dice of
each region is computed where the truth holds that region; the figures reported per region are the
mean over those (scan, view) pairs, with their count. Truth label maps are in each view's grid as
stored; they are turned upright like the views before comparison.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bonescan.anatomy import segment
from bonescan.anatomy.network import SkeletonNetwork
from bonescan.errors import InputError
from bonescan.io import load_study
from bonescan.regions import REGIONS, RegionKind

__all__ = ["AnatomyEvaluation", "dice", "evaluate_anatomy"]

logger = logging.getLogger(__name__)


def dice(predicted: NDArray[np.bool_], truth: NDArray[np.bool_]) -> float:
    """Return the Dice coefficient of two masks (1.0 when both are empty)."""
    total = int(predicted.sum()) + int(truth.sum())
    return 1.0 if total == 0 else 2.0 * int((predicted & truth).sum()) / total


@dataclass
class AnatomyEvaluation:
    """Per-region Dice over a cohort, and the time segmentation took per study."""

    scores: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    seconds: list[float] = field(default_factory=list)
    scans: list[str] = field(default_factory=list)

    def mean(self, name: str) -> float:
        """Mean Dice of a region over the (scan, view) pairs whose truth holds it."""
        values = self.scores.get(name, [])
        return float(np.mean(values)) if values else float("nan")

    def bone_mean(self) -> float:
        """Mean over bone regions of their mean Dice."""
        means = [self.mean(r.name) for r in REGIONS if r.kind is RegionKind.BONE and self.scores.get(r.name)]
        return float(np.mean(means))

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as a JSON-ready dictionary."""
        return {
            "scans": len(self.scans),
            "mean_bone_dice": round(self.bone_mean(), 4),
            "median_seconds_per_study": round(float(np.median(self.seconds)), 3) if self.seconds else None,
            "regions": {
                r.name: {"dice": round(self.mean(r.name), 4), "pairs": len(self.scores.get(r.name, []))}
                for r in REGIONS
                if r.kind is not RegionKind.BACKGROUND and self.scores.get(r.name)
            },
        }


def _scans(cohort: Path) -> list[Path]:
    scans = sorted(cohort.glob("case*/baseline.dcm"))
    if not scans:
        raise InputError(cohort, "no case*/baseline.dcm here; give a folder written by bonescan simulate")
    return scans


def evaluate_anatomy(
    cohort: str | Path, *, network: SkeletonNetwork | None = None, limit: int | None = None
) -> AnatomyEvaluation:
    """Segment every baseline scan of a simulated cohort and score it against the truth maps."""
    result = AnatomyEvaluation()
    for scan in _scans(Path(cohort))[:limit]:
        study = load_study(scan)
        started = time.perf_counter()
        anatomy = segment(study, network=network)
        result.seconds.append(time.perf_counter() - started)
        with np.load(scan.with_name("baseline.maps.npz")) as maps:
            for view in study.views:
                truth = view.orientation.apply(maps[f"labels_{view.name}"])
                predicted = anatomy.view(view.name)
                assert predicted is not None
                for entry in REGIONS:
                    if entry.kind in (RegionKind.BONE, RegionKind.ORGAN) and (truth == entry.label).any():
                        result.scores[entry.name].append(
                            dice(predicted.labels == entry.label, truth == entry.label)
                        )
        result.scans.append(str(scan))
        logger.info("%s: mean bone Dice so far %.3f", scan.parent.name, result.bone_mean())
    return result
