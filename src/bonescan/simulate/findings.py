"""Findings: what they are made of, and how they turn into emitters on a placed body.

A finding is anchored to the parts of the skeleton, not to pixels, so the same finding follows the
patient through repositioning, repeat and follow-up scans. Its pieces:

* :class:`Spot` - a ball of changed bone uptake inside one bone part (a metastasis, a fracture, a cold
  myeloma deposit, periprosthetic uptake). Its activity is ``(ratio - 1)`` times the host's normal
  concentration over the *intersection* of ball and bone (the chord is the smaller of the two), so a
  spot never leaves its bone and a cold spot never goes below zero.
* :class:`PartChange` - a whole bone part with changed uptake (Paget's disease, the metal-replaced
  femoral head of a prosthesis).
* :class:`SoftSpot` - activity outside bone (urine contamination, a paravenous injection, a lymph node),
  as a fraction of the injected activity.
* :class:`MetalPiece` - a prosthesis component that blocks photons.
* ``diffuse`` - the super scan: a factor on the uptake of whole regions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bonescan.simulate.anatomy import Source
from bonescan.simulate.geometry import Capsule, Ellipsoid, Plate, Primitive, Raster, overlap

__all__ = ["Finding", "MetalPiece", "PartChange", "SoftSpot", "Spot", "locate"]


@dataclass(frozen=True)
class Spot:
    """A ball of changed uptake inside bone part ``host``.

    Attributes
    ----------
    host : int
        Index of the bone part in :attr:`Body.bones`.
    u, v : float
        Position in the host: along its axis (0..1) and across it (-1..1) for a capsule; along its two
        in-plane semi-axes (-1..1) for an ellipsoid or plate.
    radius_mm : float
        Ball radius.
    ratio : float
        Uptake relative to the host's normal uptake at 3 h (> 1 hot, < 1 cold).
    elongation : float
        Height over width of the ball (< 1 for a flat band such as a compression fracture).
    """

    host: int
    u: float
    v: float
    radius_mm: float
    ratio: float
    elongation: float = 1.0


@dataclass(frozen=True)
class PartChange:
    """A whole bone part whose uptake is multiplied by ``ratio``."""

    host: int
    ratio: float


@dataclass(frozen=True)
class SoftSpot:
    """Activity outside bone, placed relative to bone part ``host``.

    Attributes
    ----------
    host, u, v : int, float, float
        Anchor, as for :class:`Spot`.
    dx_mm, dy_mm : float
        Shift from the anchor (patient's left and downwards positive).
    radius_mm : float
        Radius of the blob.
    fraction : float
        Fraction of the injected activity it holds (decay corrected).
    depth : float
        Depth as a fraction of the local body thickness (0 front skin, 1 back skin; < 0 or > 1 is
        outside the body, e.g. on clothing).
    outside : bool
        Beside the body, not over it: no tissue lies between it and either camera (a catheter's
        collection bag hanging by the legs). ``depth`` is then not used.
    """

    host: int
    u: float
    v: float
    dx_mm: float
    dy_mm: float
    radius_mm: float
    fraction: float
    depth: float
    outside: bool = False


@dataclass(frozen=True)
class MetalPiece:
    """A metal component: a capsule along part ``host`` from ``u0`` to ``u1``, or a ball at it."""

    host: int
    u0: float
    u1: float
    radius_mm: float
    mu_per_mm: float = 0.25


@dataclass(frozen=True)
class Finding:
    """One finding with its truth.

    Attributes
    ----------
    id : int
        1-based id, the value of the finding in the finding maps.
    kind : str
        metastasis, lytic_metastasis, myeloma, super_scan, degenerative, fracture, paget,
        osteomyelitis, prosthesis, urine_contamination, injection_site or catheter_bag.
    cause : str
        What causes it, in words (the primary cancer for a metastasis).
    malignant : bool
        Tumour in bone (counts for the BSI).
    region : str
        Region registry name of the main region involved.
    spots, parts, soft, metal
        Its pieces (see the module notes).
    diffuse : dict of str to float
        Super scan: uptake factor per region.
    involvement : dict of str to float
        Super scan: fraction of each region taken as involved by tumour (for the BSI).
    lineage : int
        Identity of the finding across follow-ups of one patient.
    status : str
        In a follow-up: new, stable, grown, shrunk, resolved or flare; "present" otherwise.
    group : int or None
        Findings that belong together (bilateral degenerative joints, aligned rib fractures).
    """

    id: int
    kind: str
    cause: str
    malignant: bool
    region: str
    spots: tuple[Spot, ...] = ()
    parts: tuple[PartChange, ...] = ()
    soft: tuple[SoftSpot, ...] = ()
    metal: tuple[MetalPiece, ...] = ()
    diffuse: dict[str, float] = field(default_factory=dict)
    involvement: dict[str, float] = field(default_factory=dict)
    lineage: int = 0
    status: str = "present"
    group: int | None = None

    @property
    def polarity(self) -> str:
        """``hot``, ``cold`` or ``mixed`` (a prosthesis: cold metal core, hot periprosthetic rim)."""
        ratios = [spot.ratio for spot in self.spots] + [part.ratio for part in self.parts]
        if any(r < 1.0 for r in ratios) and (self.soft or self.diffuse or any(r > 1.0 for r in ratios)):
            return "mixed"
        return "hot" if self.hot else "cold"

    @property
    def hot(self) -> bool:
        """Whether the finding shows as increased uptake."""
        ratios = [spot.ratio for spot in self.spots] + [part.ratio for part in self.parts]
        return bool(self.soft or self.diffuse or any(ratio > 1.0 for ratio in ratios))


def locate(
    primitive: Primitive, u: float, v: float
) -> tuple[tuple[float, float], tuple[float, float], float]:
    """Return the point (row, col) at local position (u, v) of a primitive, its axis and half-size.

    The axis is the unit (row, col) direction along the part; the half-size is in pixels.
    """
    if isinstance(primitive, Capsule):
        (ra, ca), (rb, cb) = primitive.p0, primitive.p1
        length = math.hypot(rb - ra, cb - ca) or 1.0
        axis = ((rb - ra) / length, (cb - ca) / length)
        radius = primitive.radius0 + u * (primitive.radius1 - primitive.radius0)
        row = ra + u * (rb - ra) + v * radius * axis[1]
        col = ca + u * (cb - ca) - v * radius * axis[0]
        return (row, col), axis, radius
    assert isinstance(primitive, Ellipsoid | Plate)
    cos, sin = math.cos(primitive.angle), math.sin(primitive.angle)
    along, across = u * primitive.half_width, v * primitive.half_height
    row = primitive.centre[0] + along * sin + across * cos
    col = primitive.centre[1] + along * cos - across * sin
    return (row, col), (cos, sin), min(primitive.half_width, primitive.half_height)


def spot_ball(spot: Spot, host: Source, spacing: float, shape: tuple[int, int]) -> Raster | None:
    """Return the chord map of a spot's ball, placed on its host bone part (None off the grid)."""
    (row, col), _, _ = locate(host.primitive, spot.u, spot.v)
    radius = spot.radius_mm / spacing
    ball = Ellipsoid((row, col), radius, radius * spot.elongation, spot.radius_mm * spot.elongation**0.5)
    return ball.raster(shape)


def ball_within(ball: Raster, part_raster: Raster) -> Raster | None:
    """Return the chord map of a ball's intersection with a bone part (the smaller chord of the two)."""
    parts = overlap(ball, part_raster)
    if parts is None:
        return None
    ball_part, host_part, (rows, cols) = parts
    chord = np.minimum(ball_part, host_part)
    return Raster(rows.start, cols.start, chord.astype(np.float32))
