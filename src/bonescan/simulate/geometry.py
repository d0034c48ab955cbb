"""Solid primitives and their projection onto the pixel grid.

Every structure of the phantom is a :class:`Capsule` (a segment swept by an ellipse whose half-width
and half-depth may taper), an :class:`Ellipsoid` (optionally hollow, a shell) or a :class:`Plate` (a flat
slab of constant thickness with an elliptical outline). Projected along the camera axis each gives a
*chord map*: the path length in millimetres through the solid at each pixel centre. Summing chord maps
weighted by activity concentration gives the unattenuated projection.

Coordinates are those of the anterior image grid in pixels: ``row`` down from the top, ``col`` to the
right, which is the patient's left in the anterior view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Capsule", "Ellipsoid", "Plate", "Primitive", "Raster", "overlap"]

FloatArray = NDArray[np.float32]


@dataclass(frozen=True)
class Raster:
    """A chord map restricted to its bounding box.

    Attributes
    ----------
    r0, c0 : int
        Top-left corner of the box in the full grid.
    chord : ndarray of float32
        Path length through the solid at each pixel of the box, in millimetres.
    """

    r0: int
    c0: int
    chord: FloatArray

    @property
    def slices(self) -> tuple[slice, slice]:
        """The box as slices of the full grid."""
        rows, cols = self.chord.shape
        return slice(self.r0, self.r0 + rows), slice(self.c0, self.c0 + cols)

    @property
    def volume_mm3_per_px(self) -> float:
        """Sum of the chord over the box (multiply by the pixel area for a volume)."""
        return float(self.chord.sum(dtype=np.float64))


def _box(
    rmin: float, rmax: float, cmin: float, cmax: float, shape: tuple[int, int]
) -> tuple[int, int, int, int] | None:
    r0, r1 = max(0, math.floor(rmin)), min(shape[0], math.ceil(rmax) + 1)
    c0, c1 = max(0, math.floor(cmin)), min(shape[1], math.ceil(cmax) + 1)
    if r0 >= r1 or c0 >= c1:
        return None
    return r0, r1, c0, c1


def _grid(box: tuple[int, int, int, int]) -> tuple[FloatArray, FloatArray]:
    r0, r1, c0, c1 = box
    rows = np.arange(r0, r1, dtype=np.float32)[:, None]
    cols = np.arange(c0, c1, dtype=np.float32)[None, :]
    return rows, cols


@dataclass(frozen=True)
class Capsule:
    """A segment from ``p0`` to ``p1`` swept by an ellipse, with rounded ends.

    Parameters
    ----------
    p0, p1 : tuple of float
        End points (row, col) in pixels.
    radius0, radius1 : float
        In-plane half-width at each end, in pixels.
    depth0, depth1 : float
        Half-depth along the camera axis at each end, in millimetres.
    slant : float
        Ratio of the 3-D length to the projected length (>= 1) for a segment running in depth; the
        chord is multiplied by it so that the projected volume is kept.
    """

    p0: tuple[float, float]
    p1: tuple[float, float]
    radius0: float
    radius1: float
    depth0: float
    depth1: float
    slant: float = 1.0

    def raster(self, shape: tuple[int, int]) -> Raster | None:
        """Return the chord map of the capsule, or None when it lies outside the grid."""
        (ra, ca), (rb, cb) = self.p0, self.p1
        reach = max(self.radius0, self.radius1)
        box = _box(min(ra, rb) - reach, max(ra, rb) + reach, min(ca, cb) - reach, max(ca, cb) + reach, shape)
        if box is None:
            return None
        rows, cols = _grid(box)
        dr, dc = rb - ra, cb - ca
        length2 = dr * dr + dc * dc
        if length2 > 0:
            u = np.clip(((rows - ra) * dr + (cols - ca) * dc) / length2, 0.0, 1.0)
        else:
            u = np.zeros(np.broadcast_shapes(rows.shape, cols.shape), dtype=np.float32)
        dist2 = (rows - (ra + u * dr)) ** 2 + (cols - (ca + u * dc)) ** 2
        radius = self.radius0 + u * (self.radius1 - self.radius0)
        depth = self.depth0 + u * (self.depth1 - self.depth0)
        q = dist2 / np.maximum(radius * radius, 1e-6)
        chord = np.where(q < 1.0, 2.0 * depth * np.sqrt(np.maximum(1.0 - q, 0.0)), 0.0)
        return Raster(box[0], box[2], (chord * self.slant).astype(np.float32))


@dataclass(frozen=True)
class Ellipsoid:
    """An ellipsoid, or an ellipsoidal shell when ``hollow`` > 0.

    Parameters
    ----------
    centre : tuple of float
        (row, col) in pixels.
    half_width, half_height : float
        In-plane semi-axes along the rotated column and row directions, in pixels.
    half_depth : float
        Semi-axis along the camera axis, in millimetres.
    angle : float
        In-plane rotation in radians (positive turns the column axis towards increasing rows).
    hollow : float
        Inner size as a fraction of the outer one (0 for a solid ellipsoid).
    """

    centre: tuple[float, float]
    half_width: float
    half_height: float
    half_depth: float
    angle: float = 0.0
    hollow: float = 0.0

    def _q(self, shape: tuple[int, int]) -> tuple[tuple[int, int, int, int], FloatArray] | None:
        rc, cc = self.centre
        reach = max(self.half_width, self.half_height)
        box = _box(rc - reach, rc + reach, cc - reach, cc + reach, shape)
        if box is None:
            return None
        rows, cols = _grid(box)
        cos, sin = math.cos(self.angle), math.sin(self.angle)
        along = (cols - cc) * cos + (rows - rc) * sin
        across = -(cols - cc) * sin + (rows - rc) * cos
        q = (along / self.half_width) ** 2 + (across / self.half_height) ** 2
        return box, q.astype(np.float32)

    def raster(self, shape: tuple[int, int]) -> Raster | None:
        """Return the chord map of the ellipsoid or shell, or None outside the grid."""
        found = self._q(shape)
        if found is None:
            return None
        box, q = found
        chord = 2.0 * self.half_depth * np.sqrt(np.maximum(1.0 - q, 0.0))
        if self.hollow > 0.0:
            k = self.hollow
            inner = 2.0 * self.half_depth * k * np.sqrt(np.maximum(1.0 - q / (k * k), 0.0))
            chord = chord - inner
        return Raster(box[0], box[2], chord.astype(np.float32))


@dataclass(frozen=True)
class Plate:
    """A flat slab of constant thickness with an elliptical outline (scapula, iliac wing).

    Parameters
    ----------
    centre, half_width, half_height, angle
        As for :class:`Ellipsoid`.
    thickness : float
        Path length through the slab along the camera axis, in millimetres.
    """

    centre: tuple[float, float]
    half_width: float
    half_height: float
    thickness: float
    angle: float = 0.0

    def raster(self, shape: tuple[int, int]) -> Raster | None:
        """Return the chord map of the plate, its edge softened over about one pixel."""
        solid = Ellipsoid(self.centre, self.half_width, self.half_height, 1.0, self.angle)
        found = solid._q(shape)
        if found is None:
            return None
        box, q = found
        edge = 1.0 / max(min(self.half_width, self.half_height), 1.0)
        weight = np.clip((1.0 + edge - q) / (2.0 * edge), 0.0, 1.0)
        return Raster(box[0], box[2], (self.thickness * weight).astype(np.float32))


Primitive = Capsule | Ellipsoid | Plate


def overlap(a: Raster, b: Raster) -> tuple[FloatArray, FloatArray, tuple[slice, slice]] | None:
    """Return the parts of two rasters over their common box, and that box as grid slices."""
    ar, ac = a.slices
    br, bc = b.slices
    r0, r1 = max(ar.start, br.start), min(ar.stop, br.stop)
    c0, c1 = max(ac.start, bc.start), min(ac.stop, bc.stop)
    if r0 >= r1 or c0 >= c1:
        return None
    part_a = a.chord[r0 - a.r0 : r1 - a.r0, c0 - a.c0 : c1 - a.c0]
    part_b = b.chord[r0 - b.r0 : r1 - b.r0, c0 - b.c0 : c1 - b.c0]
    return part_a, part_b, (slice(r0, r1), slice(c0, c1))
