"""Building blocks of the phantom: the placement on the grid, sources, and the body's proportions.

Anatomy is written in millimetres in the patient's frame: ``x`` to the patient's left, ``y`` down from
the vertex. :class:`Frame` maps it to the anterior pixel grid (patient's left on the image right),
applying the patient's in-plane rotation and shift. Each structure is a :class:`Source`: a primitive,
the region it belongs to, its relative tracer concentration and its depth below the anterior and the
posterior skin, which decides how much each view attenuates it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bonescan.simulate.geometry import Capsule, Ellipsoid, Plate, Primitive, Raster
from bonescan.simulate.patient import Patient, Positioning

__all__ = ["Builder", "Frame", "Source", "trunk_front_extra", "trunk_half_depth", "trunk_half_width"]

# Trunk outline at key levels (y / height): half-width and half-depth / height, build 1, male.
_TRUNK_Y = (0.150, 0.178, 0.200, 0.250, 0.300, 0.360, 0.410, 0.470, 0.500, 0.530)
_TRUNK_W = (0.034, 0.070, 0.100, 0.098, 0.095, 0.088, 0.094, 0.104, 0.098, 0.060)
_TRUNK_D = (0.034, 0.050, 0.060, 0.066, 0.067, 0.062, 0.060, 0.060, 0.055, 0.040)
_FEMALE_W = (1.0, 0.93, 0.92, 0.93, 0.94, 0.95, 1.02, 1.08, 1.08, 1.05)
# Where abdominal fat adds depth in front (y / height) and how much of the patient's belly_mm.
_BELLY_Y = (0.24, 0.31, 0.44, 0.5, 0.53)
_BELLY_F = (0.0, 1.0, 1.0, 0.6, 0.3)


def _sex_width(patient: Patient) -> tuple[float, ...]:
    return _FEMALE_W if patient.sex == "F" else (1.0,) * len(_TRUNK_Y)


def trunk_half_width(patient: Patient, y_frac: float, *, soft: bool = True) -> float:
    """Half-width of the trunk at level ``y_frac`` (of height), in mm; skeletal when ``soft`` is off."""
    widths = np.multiply(_TRUNK_W, _sex_width(patient))
    base = float(np.interp(y_frac, _TRUNK_Y, widths)) * patient.height_mm
    return base * (patient.build**0.8 if soft else 1.0)


def trunk_front_extra(patient: Patient, y_frac: float) -> float:
    """Extra depth (mm) of abdominal fat in front of the trunk at level ``y_frac`` (heavy patients)."""
    return patient.belly_mm * float(np.interp(y_frac, _BELLY_Y, _BELLY_F))


def trunk_half_depth(patient: Patient, y_frac: float, *, soft: bool = True) -> float:
    """Half-depth (front to back) of the trunk at level ``y_frac``, in mm, abdominal fat included."""
    base = float(np.interp(y_frac, _TRUNK_Y, _TRUNK_D)) * patient.height_mm
    if not soft:
        return base
    return float(base * patient.build**1.2 + trunk_front_extra(patient, y_frac) / 2.0)


@dataclass(frozen=True)
class Frame:
    """Maps the patient's millimetres to anterior-grid pixels.

    Parameters
    ----------
    height_mm : float
        Patient height (the rotation pivots about mid-height).
    positioning : Positioning
        Rotation, lateral shift and head margin.
    spacing_mm : float
        Pixel spacing.
    shape : tuple of int
        Grid size (rows, columns).
    """

    height_mm: float
    positioning: Positioning
    spacing_mm: float
    shape: tuple[int, int]

    @property
    def angle(self) -> float:
        """In-plane rotation in radians."""
        return math.radians(self.positioning.rotation_deg)

    def px(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        """Return (row, col) of a point of the patient's frame."""
        pivot = self.height_mm / 2.0
        cos, sin = math.cos(self.angle), math.sin(self.angle)
        dy = y_mm - pivot
        x_rot = x_mm * cos - dy * sin
        y_rot = x_mm * sin + dy * cos + pivot
        row = (self.positioning.top_margin_mm + y_rot) / self.spacing_mm
        col = (self.shape[1] - 1) / 2.0 + (x_rot + self.positioning.offset_x_mm) / self.spacing_mm
        return row, col

    def length(self, mm: float) -> float:
        """Convert a length in mm to pixels."""
        return mm / self.spacing_mm


@dataclass(frozen=True)
class Source:
    """A structure that holds tracer.

    Attributes
    ----------
    name : str
        Part name, e.g. ``"femur_shaft"``; parts of one region may share a name.
    region : str
        Region registry name.
    primitive : Primitive
        Its solid, in the anterior grid.
    uptake : float
        Relative concentration (bone: relative to average bone).
    depth_ant, depth_post : float
        Depth of its centre below the anterior and the posterior skin, in mm.
    joint : bool
        Part of a joint surface (age-related and degenerative uptake go there).
    centre_mm : tuple of float
        Its centre in the patient's frame (x, y), for placing findings.
    size_mm : float
        Typical half-size, for choosing lesion sizes.
    share : float
        Share of the primitive's chord that belongs to this source (0.5 for each wall of a shell,
        which lie at different depths).
    """

    name: str
    region: str
    primitive: Primitive
    uptake: float
    depth_ant: float
    depth_post: float
    joint: bool = False
    centre_mm: tuple[float, float] = (0.0, 0.0)
    size_mm: float = 10.0
    share: float = 1.0

    def raster(self, shape: tuple[int, int]) -> Raster | None:
        """Return the chord map of this source (its share of the primitive's)."""
        raster = self.primitive.raster(shape)
        if raster is None or self.share == 1.0:
            return raster
        return Raster(raster.r0, raster.c0, raster.chord * np.float32(self.share))


@dataclass
class Builder:
    """Collects the sources of one body, converting millimetres to the grid.

    ``size`` multiplies every size given to :meth:`capsule`, :meth:`ellipsoid` and :meth:`plate`
    (the patient's bone scale for the skeleton), not positions.
    """

    patient: Patient
    frame: Frame
    sources: list[Source] = field(default_factory=list)
    size: float = 1.0

    @property
    def h(self) -> float:
        """Patient height in mm: anatomy is written as fractions of it."""
        return self.patient.height_mm

    def trunk_depths(self, y_frac: float, f: float) -> tuple[float, float]:
        """Depths below the anterior and posterior skin of a point at fraction ``f`` of the trunk.

        ``f`` is a fraction of the trunk without abdominal fat; that fat lies in front of it.
        """
        extra = trunk_front_extra(self.patient, y_frac)
        thickness = 2.0 * trunk_half_depth(self.patient, y_frac) - extra
        return f * thickness + extra, (1.0 - f) * thickness

    def capsule(
        self,
        name: str,
        region: str,
        points: tuple[tuple[float, float], ...],
        radius: float | tuple[float, float],
        depths: tuple[float, float],
        uptake: float = 1.0,
        *,
        half_depth: float | tuple[float, float] | None = None,
        joint: bool = False,
        slant: float = 1.0,
    ) -> None:
        """Add a chain of capsules through ``points`` (fractions of height), radius in mm."""
        k = self.size
        r0, r1 = radius if isinstance(radius, tuple) else (radius, radius)
        hd = half_depth if half_depth is not None else (r0, r1)
        t0, t1 = hd if isinstance(hd, tuple) else (hd, hd)
        r0, r1, t0, t1 = r0 * k, r1 * k, t0 * k, t1 * k
        n = len(points) - 1
        for i in range(n):
            (xa, ya), (xb, yb) = points[i], points[i + 1]
            ua, ub = i / n, (i + 1) / n
            prim = Capsule(
                self.frame.px(xa * self.h, ya * self.h),
                self.frame.px(xb * self.h, yb * self.h),
                self.frame.length(r0 + ua * (r1 - r0)),
                self.frame.length(r0 + ub * (r1 - r0)),
                t0 + ua * (t1 - t0),
                t0 + ub * (t1 - t0),
                slant,
            )
            centre = ((xa + xb) / 2.0 * self.h, (ya + yb) / 2.0 * self.h)
            self.sources.append(Source(name, region, prim, uptake, *depths, joint, centre, (r0 + r1) / 2.0))

    def ellipsoid(
        self,
        name: str,
        region: str,
        centre: tuple[float, float],
        half_width: float,
        half_height: float,
        half_depth: float,
        depths: tuple[float, float],
        uptake: float = 1.0,
        *,
        angle: float = 0.0,
        hollow: float = 0.0,
        joint: bool = False,
        share: float = 1.0,
    ) -> None:
        """Add an ellipsoid (sizes in mm, centre in fractions of height, angle in radians)."""
        x, y = centre[0] * self.h, centre[1] * self.h
        k = self.size
        half_width, half_height, half_depth = half_width * k, half_height * k, half_depth * k
        prim = Ellipsoid(
            self.frame.px(x, y),
            self.frame.length(half_width),
            self.frame.length(half_height),
            half_depth,
            angle + self.frame.angle,
            hollow,
        )
        size = min(half_width, half_height)
        self.sources.append(Source(name, region, prim, uptake, *depths, joint, (x, y), size, share))

    def plate(
        self,
        name: str,
        region: str,
        centre: tuple[float, float],
        half_width: float,
        half_height: float,
        thickness: float,
        depths: tuple[float, float],
        uptake: float = 1.0,
        *,
        angle: float = 0.0,
    ) -> None:
        """Add a flat plate (sizes in mm, centre in fractions of height)."""
        x, y = centre[0] * self.h, centre[1] * self.h
        k = self.size
        half_width, half_height, thickness = half_width * k, half_height * k, thickness * k
        prim = Plate(
            self.frame.px(x, y),
            self.frame.length(half_width),
            self.frame.length(half_height),
            thickness,
            angle + self.frame.angle,
        )
        size = min(half_width, half_height)
        self.sources.append(Source(name, region, prim, uptake, *depths, False, (x, y), size))
