"""Anatomical order rules applied to the network's labels.

The network labels each pixel from what it sees around it; on scans unlike its training data it can
call a whole leg "tibia". The knee joints, found from the uptake (:mod:`bonescan.anatomy.landmarks`),
set an order that cannot be broken: the femur lies above the knee and the tibia and fibula below it.
:func:`keep_leg_order` relabels leg bone on the wrong side of the knee row (by more than
:data:`KNEE_MARGIN_MM`, so the joint itself is left to the network), on the same patient side.
It acts only when the knee row was found from both legs in agreement (confidence at least
:data:`MIN_KNEE_CONFIDENCE`) and, when the vertex and the soles are given, lies where knees lie:
within :data:`KNEE_FRACTION` of the body's length from the vertex (a catheter's tube and bag across
the thighs can put the crotch and the knee landmark at the ankles; on development seeds 5110 and
5111 knee landmarks within 40 mm of the simulator's knees lie at 0.68-0.73, those found at the
ankles at 0.84-0.94, NM1's at 0.69); otherwise the labels are left as they are.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bonescan.anatomy.landmarks import Landmark
from bonescan.regions import region

__all__ = ["KNEE_FRACTION", "KNEE_MARGIN_MM", "MIN_KNEE_CONFIDENCE", "keep_leg_order"]

KNEE_MARGIN_MM = 40.0
MIN_KNEE_CONFIDENCE = 0.6
#: Where the knees lie, as shares of the body's length from the vertex to the soles.
KNEE_FRACTION = (0.60, 0.80)


def _where_knees_lie(knees: Landmark, vertex: Landmark | None, soles: Landmark | None) -> bool:
    """Whether the knee row lies within :data:`KNEE_FRACTION` of the body (True when unknown)."""
    if vertex is None or soles is None or soles.row <= vertex.row:
        return True
    share = (knees.row - vertex.row) / (soles.row - vertex.row)
    return KNEE_FRACTION[0] <= share <= KNEE_FRACTION[1]


def keep_leg_order(
    labels: NDArray[np.uint8],
    knees: Landmark | None,
    row_spacing_mm: float,
    vertex: Landmark | None = None,
    soles: Landmark | None = None,
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
    vertex, soles : Landmark, optional
        The top and the bottom of the body; when given, a knee row outside :data:`KNEE_FRACTION` of
        the length between them is not used.

    Returns
    -------
    ndarray of uint8
        A relabelled copy (or ``labels`` itself when the knees are unknown, uncertain, or not where
        knees lie).
    """
    if knees is None or knees.confidence < MIN_KNEE_CONFIDENCE:
        return labels
    if not _where_knees_lie(knees, vertex, soles):
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
