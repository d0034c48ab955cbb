"""Anatomical order rules applied to the network's labels.

The network labels each pixel from what it sees around it; on scans unlike its training data it can
call a whole leg "tibia". The knee joints, found from the uptake (:mod:`bonescan.anatomy.landmarks`),
set an order that cannot be broken: the femur lies above the knee and the tibia and fibula below it.
:func:`keep_leg_order` relabels leg bone on the wrong side of the knee row (by more than
:data:`KNEE_MARGIN_MM`, so the joint itself is left to the network), on the same patient side.
It acts only when the knee row was found from both legs in agreement (confidence at least
:data:`MIN_KNEE_CONFIDENCE`); otherwise the labels are left as they are.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bonescan.anatomy.landmarks import Landmark
from bonescan.regions import region

__all__ = ["KNEE_MARGIN_MM", "MIN_KNEE_CONFIDENCE", "keep_leg_order"]

KNEE_MARGIN_MM = 40.0
MIN_KNEE_CONFIDENCE = 0.6


def keep_leg_order(
    labels: NDArray[np.uint8], knees: Landmark | None, row_spacing_mm: float
) -> NDArray[np.uint8]:
    """Return ``labels`` with femur below and tibia above the knees (beyond the margin) relabelled.

    Parameters
    ----------
    labels : ndarray of uint8
        Region labels of an upright view.
    knees : Landmark or None
        The knee landmark of that view.
    row_spacing_mm : float
        Row pixel spacing.

    Returns
    -------
    ndarray of uint8
        A relabelled copy (or ``labels`` itself when the knees are unknown or uncertain).
    """
    if knees is None or knees.confidence < MIN_KNEE_CONFIDENCE:
        return labels
    margin = KNEE_MARGIN_MM / row_spacing_mm
    rows = np.arange(labels.shape[0])[:, None]
    above, below = rows < knees.row - margin, rows > knees.row + margin
    fixed = labels.copy()
    for side in ("left", "right"):
        tibia = region(f"tibia_fibula_{side}").label
        distal = region(f"femur_distal_{side}").label
        femur = np.isin(labels, (region(f"femur_proximal_{side}").label, distal))
        fixed[(labels == tibia) & above] = distal
        fixed[femur & below] = tibia
    return fixed
