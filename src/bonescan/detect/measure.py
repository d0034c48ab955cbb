"""Measurements of a spot that a reader would check: symmetry, closeness to a joint, shape, extent.

* **Reference ratio**: the spot's mean uptake over the uptake of the same footprint mirrored to the
  other side of the body's midline; for a spot on the midline (whose mirror overlaps itself) the
  brighter of the same footprint moved up and down by one spot height (at least 25 mm), which on
  the spine compares a vertebra with its neighbours. About 1 for symmetric or repeating normal
  uptake; high for a focal lesion.
* **Joint distance**: from the spot's centre to the nearest place where two bones that form a joint
  meet in the label map (shoulder, elbow, wrist, hip, knee, ankle, sacroiliac, sternoclavicular and
  acromioclavicular joints). A knee and an ankle are told apart by the nearer landmark row (knees or
  soles) when the view has both, since the labels of the lower leg can be wrong on a real scan.
* **Elongation**: the ratio of the long to the short axis of the spot (square root of the ratio of
  the eigenvalues of its pixel covariance).
* **Region fraction**: the spot's share of the pixels of its region in that view (whole-bone
  involvement is typical of Paget's disease).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from bonescan._body import BodyExtent
from bonescan._masks import grown_square
from bonescan.anatomy.landmarks import Landmarks
from bonescan.regions import region

__all__ = ["JOINTS", "JOINT_NAMES", "SpotMeasures", "ViewGeometry", "measure_spot", "view_geometry"]

#: Pairs of region stems whose meeting place is a joint.
JOINTS: tuple[tuple[str, str], ...] = (
    ("humerus_proximal", "scapula"),
    ("humerus_distal", "forearm"),
    ("forearm", "hand"),
    ("pelvis", "femur_proximal"),
    ("femur_distal", "tibia_fibula"),
    ("tibia_fibula", "foot"),
    ("pelvis", "sacrum"),
    ("clavicle", "sternum"),
    ("clavicle", "scapula"),
)
#: The name of each joint of :data:`JOINTS`, in the same order.
JOINT_NAMES: tuple[str, ...] = (
    "shoulder",
    "elbow",
    "wrist",
    "hip",
    "knee",
    "ankle",
    "sacroiliac joint",
    "sternoclavicular joint",
    "acromioclavicular joint",
)
_JOINT_REACH_PX = 2
_MIN_SHIFT_MM = 25.0
_SIDES = ("left", "right")


@dataclass(frozen=True, eq=False)
class ViewGeometry:
    """What the measurements need from a view besides the spot: midline and joint distances.

    ``joints`` is the joint map (:func:`_joint_map`). The distance of every pixel to the nearest joint
    pixel and that joint (``joint_distance_px``, ``nearest_joint``: those of
    ``ndimage.distance_transform_edt``'s feature transform) are worked out when first asked for; a
    spot asks only at its centre (:meth:`joint_at`), which is much cheaper.
    """

    midline: float
    joints: NDArray[np.int8]
    spacing_mm: tuple[float, float]
    region_areas: NDArray[np.intp]
    body_top: float = 0.0
    body_length: float = 1.0
    knee_row: float | None = None
    sole_row: float | None = None

    @cached_property
    def _nearest_indices(self) -> NDArray[np.int32] | None:
        """The feature transform of the joint map (None without joints)."""
        if not self.joints.any():
            return None
        indices: NDArray[np.int32] = ndimage.distance_transform_edt(
            self.joints == 0, return_distances=False, return_indices=True
        )
        return indices

    @cached_property
    def joint_distance_px(self) -> NDArray[np.float32]:
        """Each pixel's distance to the nearest joint pixel (infinite without joints)."""
        indices = self._nearest_indices
        if indices is None:
            return np.full(self.joints.shape, np.inf, dtype=np.float32)
        return _distances(indices)

    @cached_property
    def nearest_joint(self) -> NDArray[np.int8]:
        """Each pixel's nearest joint (0 without joints)."""
        indices = self._nearest_indices
        if indices is None:
            return np.zeros(self.joints.shape, dtype=np.int8)
        return np.asarray(self.joints[indices[0], indices[1]], dtype=np.int8)

    @cached_property
    def _joint_pixels(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int8]]:
        rows, columns = np.nonzero(self.joints)
        return rows.astype(np.int64), columns.astype(np.int64), self.joints[rows, columns]

    def joint_at(self, row: int, column: int) -> tuple[float, int]:
        """Return ``joint_distance_px`` and ``nearest_joint`` at one pixel without the whole view's.

        The squared distances to every joint pixel, whole numbers, are exact: the least one gives the
        distance as ``_distances`` takes it. When the joint pixels at that distance are not all of
        one joint, the feature transform's choice among them is read from the whole view's.
        """
        rows, columns, joints = self._joint_pixels
        if rows.size == 0:
            return float(np.float32(np.inf)), 0
        squared = (rows - row) ** 2 + (columns - column) ** 2
        least = int(squared.min())
        nearest = joints[squared == least]
        if np.any(nearest != nearest[0]):
            return float(self.joint_distance_px[row, column]), int(self.nearest_joint[row, column])
        distance = np.asarray(np.sqrt(np.float64(least)), dtype=np.float32)
        return float(distance), int(nearest[0])


@dataclass(frozen=True)
class SpotMeasures:
    """The measurements of one spot (see the module text)."""

    reference_ratio: float
    joint_distance_mm: float
    elongation: float
    region_fraction: float
    nearest_joint: str | None = None


_Window = tuple[slice, slice]


def _stem_labels(stem: str) -> list[int]:
    names = [stem] if stem in ("sternum", "sacrum") else [f"{stem}_{side}" for side in _SIDES]
    return [region(name).label for name in names]


def _near(
    labels: NDArray[np.uint8], boxes: list[_Window | None], stem: str
) -> tuple[_Window, NDArray[np.bool_]] | None:
    """Return a region's pixels grown by a square of ``2 * _JOINT_REACH_PX + 1``, on their box grown as much.

    The box is that of the region's labels (``boxes``: ``ndimage.find_objects`` of the label map), grown
    by the reach within the view: nothing beyond it is near the region. None when the view lacks it.
    """
    own = [(label, box) for label in _stem_labels(stem) if (box := _box_of(boxes, label)) is not None]
    if not own:
        return None
    reach = _JOINT_REACH_PX
    rows, columns = labels.shape
    window = (
        slice(
            max(min(box[0].start for _, box in own) - reach, 0),
            min(max(box[0].stop for _, box in own) + reach, rows),
        ),
        slice(
            max(min(box[1].start for _, box in own) - reach, 0),
            min(max(box[1].stop for _, box in own) + reach, columns),
        ),
    )
    part = labels[window]
    mask = np.zeros(part.shape, dtype=bool)
    for label, _ in own:  # one or two labels: comparisons are faster than a look-up
        mask |= part == label
    return window, grown_square(mask, reach)


def _box_of(boxes: list[_Window | None], label: int) -> _Window | None:
    return boxes[label - 1] if label <= len(boxes) else None


def _joint_map(labels: NDArray[np.uint8]) -> NDArray[np.int8]:
    """Return, per pixel, 1 + the index in :data:`JOINTS` of the joint there (0: no joint).

    A joint lies where both its bones are near (:func:`_near`), which only the overlap of their boxes
    can hold.
    """
    boxes = ndimage.find_objects(labels)
    near = {stem: _near(labels, boxes, stem) for pair in JOINTS for stem in pair}
    joints = np.zeros(labels.shape, dtype=np.int8)
    for index, (first, second) in enumerate(JOINTS, start=1):
        one, other = near[first], near[second]
        if one is None or other is None:
            continue
        (one_rows, one_columns), (other_rows, other_columns) = one[0], other[0]
        overlap = (
            slice(max(one_rows.start, other_rows.start), min(one_rows.stop, other_rows.stop)),
            slice(max(one_columns.start, other_columns.start), min(one_columns.stop, other_columns.stop)),
        )
        if overlap[0].start >= overlap[0].stop or overlap[1].start >= overlap[1].stop:
            continue
        here = joints[overlap]
        both = _within(one, overlap) & _within(other, overlap)
        here[both & (here == 0)] = index
    return joints


def _within(near: tuple[_Window, NDArray[np.bool_]], window: _Window) -> NDArray[np.bool_]:
    """Return the part of a grown region (its box and pixels) that lies in ``window`` (inside its box)."""
    box, mask = near
    return mask[
        window[0].start - box[0].start : window[0].stop - box[0].start,
        window[1].start - box[1].start : window[1].stop - box[1].start,
    ]


def view_geometry(
    labels: NDArray[np.uint8],
    body: NDArray[np.bool_],
    spacing_mm: tuple[float, float],
    landmarks: Landmarks | None = None,
) -> ViewGeometry:
    """Return the body midline and the distance of every pixel to the nearest joint."""
    extent = BodyExtent(body)
    midline = extent.midline
    top = float(max(extent.top, 0))
    length = float(extent.length if not extent.empty else labels.shape[0])
    joints = _joint_map(labels)
    areas = np.bincount(labels.ravel(), minlength=256)
    points = landmarks.points if landmarks is not None else {}
    knee, sole = (points[name].row if name in points else None for name in ("knees", "soles"))
    return ViewGeometry(midline, joints, spacing_mm, areas, top, length, knee, sole)


def _distances(indices: NDArray[np.int32]) -> NDArray[np.float32]:
    """Return each pixel's distance to the feature ``indices`` gives it, as float32.

    The values of ``ndimage.distance_transform_edt``'s distances (the root of the squared offsets,
    summed as float64) cast to float32; the squared offsets, whole numbers far below 2**31, are summed
    as integers here, which is exact and much faster.
    """
    rows, columns = indices.shape[1:]
    down = indices[0] - np.arange(rows, dtype=np.int32)[:, None]
    across = indices[1] - np.arange(columns, dtype=np.int32)[None, :]
    squared = down * down
    squared += across * across
    return np.asarray(np.sqrt(squared, dtype=np.float64), dtype=np.float32)


def _mean_at(image: NDArray[np.float32], rows: NDArray[np.intp], columns: NDArray[np.intp]) -> float | None:
    inside = (rows >= 0) & (rows < image.shape[0]) & (columns >= 0) & (columns < image.shape[1])
    if inside.mean() < 0.5:
        return None
    return float(image[rows[inside], columns[inside]].mean())


def _share_in(values: NDArray[np.intp], pool: NDArray[np.intp]) -> float:
    """Return ``np.isin(values, pool).mean()`` for small arrays of integers (a table: faster)."""
    low = min(int(values.min()), int(pool.min()))
    table = np.zeros(max(int(values.max()), int(pool.max())) - low + 1, dtype=bool)
    table[pool - low] = True
    return float(table[values - low].mean())


def _reference_ratio(
    smoothed: NDArray[np.float32], rows: NDArray[np.intp], columns: NDArray[np.intp], geometry: ViewGeometry
) -> float:
    own = float(smoothed[rows, columns].mean())
    mirrored = np.rint(2.0 * geometry.midline - columns).astype(np.intp)
    overlap = _share_in(mirrored, columns) if columns.size else 1.0
    if overlap < 0.3:
        other = _mean_at(smoothed, rows, mirrored)
    else:
        shift = max(int(rows.max() - rows.min() + 1), math.ceil(_MIN_SHIFT_MM / geometry.spacing_mm[0]))
        around = [_mean_at(smoothed, rows + step, columns) for step in (-shift, shift)]
        known = [value for value in around if value is not None]
        other = max(known) if known else None
    return own / max(other, 1e-3) if other is not None else 1.0


def _elongation(rows: NDArray[np.intp], columns: NDArray[np.intp]) -> float:
    if rows.size < 3:
        return 1.0
    covariance = _covariance(np.stack([rows, columns]).astype(float)) + np.eye(2) / 12.0
    small, large = np.linalg.eigvalsh(covariance)
    return float(math.sqrt(large / max(small, 1e-6)))


def _covariance(samples: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return ``np.cov(samples)`` of a 2-D float64 array (a row per variable, at least two columns).

    The same operations numpy does, without its checks and weights: the mean of each row taken away,
    the product with the transpose, times one over the number of samples less one.
    """
    centred = samples - samples.mean(axis=1)[:, None]
    covariance: NDArray[np.float64] = np.dot(centred, centred.T.conj())
    covariance *= np.true_divide(1, samples.shape[1] - 1)
    return covariance


def measure_spot(
    rows: NDArray[np.intp],
    columns: NDArray[np.intp],
    smoothed: NDArray[np.float32],
    labels: NDArray[np.uint8],
    region_label: int,
    geometry: ViewGeometry,
) -> SpotMeasures:
    """Measure one spot given by its pixels (see the module text for each figure)."""
    joint_distance_px, joint = geometry.joint_at(round(rows.mean()), round(columns.mean()))
    region_size = int(geometry.region_areas[region_label])
    return SpotMeasures(
        reference_ratio=_reference_ratio(smoothed, rows, columns, geometry),
        joint_distance_mm=joint_distance_px * float(np.mean(geometry.spacing_mm)),
        elongation=_elongation(rows, columns),
        region_fraction=float(rows.size / region_size) if region_size else 0.0,
        nearest_joint=_joint_name(joint, float(rows.mean()), geometry),
    )


def _joint_name(joint: int, row: float, geometry: ViewGeometry) -> str | None:
    """Name the joint; a knee or an ankle by the nearer landmark row when the labels disagree."""
    if not joint:
        return None
    name = JOINT_NAMES[joint - 1]
    if name in ("knee", "ankle") and geometry.knee_row is not None and geometry.sole_row is not None:
        return "knee" if abs(row - geometry.knee_row) < abs(row - geometry.sole_row) else "ankle"
    return name
