"""Urine outside the bladder: a catheter's collection bag and its tube, urine on the legs or clothing.

Urine holds the tracer the kidneys excrete, so a collection bag, or urine spilt on the skin or
clothing, can be many times brighter than any bone. So bright a blob takes over the upper
percentiles that the labelling network's input and the body outline are scaled by, and the skeleton
fades against it; it must be found before the skeleton is labelled.

Of the view's extreme blobs (:func:`bonescan._body.extreme_blobs`), normal anatomy gives only the
bladder, which lies on the midline of the lower pelvis. A blob counts as **extreme activity away from
the bladder** when its centre lies below :data:`BELOW_BODY_SHARE` of the body's length (below the
pubic bones: on or beside a thigh or a lower leg) or at least :data:`LATERAL_MM` from the body's
midline (beside the trunk, over a hip, in an arm). Besides urine, that catches tracer injected beside
the vein in the arm or hand, also an artefact. The body's length and midline are measured on the
view with every extreme blob replaced by the median of the ring of pixels around it, so that no blob
sets their scale; the skeleton is then labelled on the view with the blobs away from the bladder
replaced that way (:func:`without_urine`). A thin line of uptake joined to such a blob is taken
with it: a catheter's tube, which would otherwise give hot spots where it crosses a bone. Views
without such a blob, most of them, are labelled exactly as before.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from bonescan._body import BodyExtent, body_mask, bone_level, extreme_blobs
from bonescan._masks import grown

__all__ = ["BELOW_BODY_SHARE", "LATERAL_MM", "TUBE_RATIO", "urine_outside_bladder", "without_urine"]

#: Share of the body's length (from the top) below which the bladder never lies.
BELOW_BODY_SHARE = 0.56
#: Distance from the body's midline beyond which the bladder never lies.
LATERAL_MM = 90.0
#: White top-hat over the bone level from which a thin line joined to urine is its tube.
TUBE_RATIO = 0.07
_GROW_PX = 2
_RING_PX = 3
_TUBE_RADIUS_PX = 3
_TUBE_SMOOTHING_PX = 1.0


def without_urine(counts: NDArray[np.floating], mask: NDArray[np.bool_]) -> NDArray[np.float32]:
    """Return ``counts`` with each blob of ``mask`` replaced by the median of the ring around it."""
    filled = np.array(counts, dtype=np.float32)
    labels, _ = ndimage.label(mask)
    for index, window in enumerate(ndimage.find_objects(labels), start=1):
        if window is None:
            continue
        pad = _RING_PX + 1
        box = tuple(slice(max(s.start - pad, 0), s.stop + pad) for s in window)
        blob = labels[box] == index
        ring = grown(blob, _RING_PX) & ~mask[box]
        level = float(np.median(filled[box][ring])) if ring.any() else 0.0
        filled[box][blob] = level
    return filled


def urine_outside_bladder(counts: NDArray[np.floating], spacing_mm: tuple[float, float]) -> NDArray[np.bool_]:
    """Return the pixels of urine outside the bladder in an upright view (see the module notes).

    Parameters
    ----------
    counts : ndarray
        The view's counts, upright.
    spacing_mm : tuple of float
        Pixel spacing (row, column).

    Returns
    -------
    ndarray of bool
        The blobs, grown by two pixels; all False when the view has none.
    """
    blobs = extreme_blobs(counts, spacing_mm)
    if not blobs.any():
        return blobs
    blobs = grown(blobs, _GROW_PX)
    extent = BodyExtent(body_mask(without_urine(counts, blobs)))
    if extent.empty:
        return np.zeros(blobs.shape, dtype=bool)
    lowest_bladder_row = extent.top + BELOW_BODY_SHARE * extent.length
    urine = np.zeros(blobs.shape, dtype=bool)
    labels, _ = ndimage.label(blobs)
    for index, window in enumerate(ndimage.find_objects(labels), start=1):
        if window is None:
            continue
        blob = labels[window] == index
        rows, columns = np.nonzero(blob)
        below = float(rows.mean()) + window[0].start > lowest_bladder_row
        lateral = abs(float(columns.mean()) + window[1].start - extent.midline) * spacing_mm[1] >= LATERAL_MM
        if below or lateral:
            urine[window] |= blob
    return _with_tube(counts, urine) if urine.any() else urine


def _with_tube(counts: NDArray[np.floating], urine: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Return ``urine`` with the thin lines of uptake joined to it: a catheter's tube.

    Thin: the white top-hat by a disc of :data:`_TUBE_RADIUS_PX` pixels (what stands above the
    largest opening by that disc) reaches :data:`TUBE_RATIO` times the view's bone level. A tube
    that crosses a hand or a thin bone takes the pixels it lies on.
    """
    smooth = ndimage.gaussian_filter(np.asarray(counts, dtype=np.float32), _TUBE_SMOOTHING_PX)
    rows, columns = np.ogrid[-_TUBE_RADIUS_PX : _TUBE_RADIUS_PX + 1, -_TUBE_RADIUS_PX : _TUBE_RADIUS_PX + 1]
    disc = rows**2 + columns**2 <= _TUBE_RADIUS_PX**2
    thin = smooth - ndimage.grey_opening(smooth, footprint=disc) >= TUBE_RATIO * bone_level(counts)
    joined = ndimage.binary_propagation(urine, structure=np.ones((3, 3), dtype=bool), mask=thin | urine)
    return np.asarray(joined, dtype=bool)
