"""Projection of the phantom onto the two views.

Each :class:`Emitter` is a chord map with an activity concentration and a depth below each skin. The
anterior view sees it attenuated by ``exp(-mu * depth_ant)``, the posterior by ``exp(-mu * depth_post)``;
its contribution goes to the depth bin that sets its blur. Everything is accumulated in the anterior
grid; the posterior view is mirrored at the end (patient's left on the image left).

Label maps are the footprints of the regions, each pixel given to the structure that contributes most
to it in that view (so the sternum covers the spine in front, the spine the sternum behind). Finding
maps give each pixel to the finding with the largest contribution there; each finding's own footprint
(all the pixels it changes, whatever else overlaps it) is kept apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from bonescan.regions import region
from bonescan.simulate.geometry import Raster, overlap
from bonescan.simulate.physics import (
    DEPTH_BINS_MM,
    MU_PER_MM,
    SCATTER_LAYER,
    attenuation,
    depth_bin,
    slab_emission,
)

__all__ = ["Emitter", "Metal", "Projection", "project"]

VIEWS = ("anterior", "posterior")
_T = TypeVar("_T", bound=np.generic)


@dataclass(frozen=True)
class Emitter:
    """A projected structure holding tracer.

    Attributes
    ----------
    raster : Raster
        Its chord map (mm).
    concentration : float
        Fraction of the injected activity per mm^3 (negative for a cold lesion's deficit).
    depth_ant, depth_post : float
        Depth below the anterior and posterior skin, mm.
    label : int
        Region label it paints on the label maps (0 for none).
    label_weight : float
        Weight for the label decision (its relative uptake, independent of time).
    finding : int
        Finding id it belongs to (0 for normal anatomy).
    weight : ndarray of float32, optional
        Relative concentration at each pixel of the raster's box (bone texture), 1 when absent. It
        shapes the activity only: the label decision and the footprints use the chord alone.
    """

    raster: Raster
    concentration: float
    depth_ant: float
    depth_post: float
    label: int = 0
    label_weight: float = 1.0
    finding: int = 0
    weight: NDArray[np.float32] | None = field(default=None, compare=False)

    @property
    def activity_per_px(self) -> NDArray[np.float32]:
        """Activity of each pixel of the box per unit pixel area (chord x weight x concentration)."""
        chord = self.raster.chord if self.weight is None else self.raster.chord * self.weight
        return chord * np.float32(self.concentration)


@dataclass(frozen=True)
class Metal:
    """A metal object (prosthesis) that blocks photons from what lies behind it."""

    raster: Raster
    mu_per_mm: float
    depth_ant: float
    depth_post: float


@dataclass
class Projection:
    """Noiseless projections before blur, and the truth maps, of both views (anterior grid)."""

    base: NDArray[np.float32]
    findings: NDArray[np.float32]
    labels: NDArray[np.uint8]
    finding_map: NDArray[np.uint16]
    label_score: NDArray[np.float32]
    finding_score: NDArray[np.float32]
    footprints: dict[int, NDArray[np.bool_]] = field(default_factory=dict)


def _new(shape: tuple[int, int]) -> Projection:
    bins = len(DEPTH_BINS_MM) + 1
    return Projection(
        base=np.zeros((2, bins, *shape), dtype=np.float32),
        findings=np.zeros((2, bins, *shape), dtype=np.float32),
        labels=np.zeros((2, *shape), dtype=np.uint8),
        finding_map=np.zeros((2, *shape), dtype=np.uint16),
        label_score=np.zeros((2, *shape), dtype=np.float32),
        finding_score=np.zeros((2, *shape), dtype=np.float32),
    )


def _transmission(
    emitter: Emitter, metals: tuple[Metal, ...], view: int
) -> list[tuple[tuple[slice, slice], NDArray[np.float32]]]:
    """Return the metal transmission maps in front of ``emitter`` in ``view``, as (box, map)."""
    found = []
    for metal in metals:
        in_front = metal.depth_ant < emitter.depth_ant if view == 0 else metal.depth_post < emitter.depth_post
        if not in_front:
            continue
        parts = overlap(emitter.raster, metal.raster)
        if parts is not None:
            found.append((parts[2], np.exp(-metal.mu_per_mm * parts[1]).astype(np.float32)))
    return found


def _gap_at(gap: NDArray[np.float32] | None, raster: Raster) -> float:
    """Return the extra collimator gap (mm) at the centre of ``raster``'s box (0 without a gap map)."""
    if gap is None:
        return 0.0
    rows, cols = raster.chord.shape
    return float(gap[raster.r0 + rows // 2, raster.c0 + cols // 2])


def _add(
    proj: Projection,
    emitter: Emitter,
    metals: tuple[Metal, ...],
    pixel_area: float,
    gap_ant: NDArray[np.float32] | None,
) -> None:
    raster = emitter.raster
    rows, cols = raster.slices
    gaps = (_gap_at(gap_ant, raster), 0.0)
    if emitter.finding:
        footprint = proj.footprints.setdefault(emitter.finding, np.zeros(proj.labels.shape[1:], dtype=bool))
        footprint[rows, cols] |= raster.chord > 0
    for view, depth in enumerate((emitter.depth_ant, emitter.depth_post)):
        primary, scattered = attenuation(depth)
        image = emitter.activity_per_px * np.float32(pixel_area)
        for (mr, mc), transmission in _transmission(emitter, metals, view):
            sub = (
                slice(mr.start - rows.start, mr.stop - rows.start),
                slice(mc.start - cols.start, mc.stop - cols.start),
            )
            image[sub] *= transmission
        target = proj.findings if emitter.finding else proj.base
        target[view, depth_bin(depth, gaps[view])][rows, cols] += image * np.float32(primary)
        target[view, SCATTER_LAYER][rows, cols] += image * np.float32(scattered)
        if emitter.label:
            score = raster.chord * np.float32(emitter.label_weight * primary)
            _paint(proj.label_score[view], proj.labels[view], (rows, cols), score, emitter.label)
        if emitter.finding:
            score = np.abs(image) * np.float32(primary)
            _paint(proj.finding_score[view], proj.finding_map[view], (rows, cols), score, emitter.finding)


def _paint(
    best: NDArray[np.float32],
    labels: NDArray[np.integer],
    box: tuple[slice, slice],
    score: NDArray[np.float32],
    value: int,
) -> None:
    wins = score > best[box]
    best[box] = np.where(wins, score, best[box])
    labels[box] = np.where(wins, value, labels[box])


def _soft_tissue(
    proj: Projection,
    thickness: NDArray[np.float32],
    concentration: NDArray[np.float32],
    metals: tuple[Metal, ...],
) -> None:
    """Add the soft tissue, a slab of ``concentration`` (activity per mm of path x pixel area)."""
    primary, scattered = slab_emission(thickness)
    emission = primary * concentration
    scattered_emission = scattered * concentration
    body = thickness > 0
    soft_label = region("soft_tissue").label
    for view in range(2):
        image = emission.copy()
        for metal in metals:
            box = metal.raster.slices
            depth = metal.depth_ant if view == 0 else metal.depth_post
            local = thickness[box]
            behind = (np.exp(-MU_PER_MM * depth) - np.exp(-MU_PER_MM * local)) / np.maximum(
                1.0 - np.exp(-MU_PER_MM * local), 1e-6
            )
            blocked = np.clip(behind, 0.0, 1.0) * (1.0 - np.exp(-metal.mu_per_mm * metal.raster.chord))
            image[box] *= (1.0 - blocked).astype(np.float32)
        proj.base[view, 1] += image
        proj.base[view, SCATTER_LAYER] += scattered_emission
        proj.labels[view][body & (proj.labels[view] == 0)] = soft_label


def project(
    emitters: list[Emitter],
    thickness: NDArray[np.float32],
    soft_concentration: float,
    pixel_area: float,
    metals: tuple[Metal, ...] = (),
    soft_field: NDArray[np.float32] | None = None,
    gap_ant: NDArray[np.float32] | None = None,
) -> Projection:
    """Project ``emitters`` and the soft tissue onto both views (anterior grid, before blur).

    Parameters
    ----------
    emitters : list of Emitter
        Bones, organs and findings.
    thickness : ndarray
        Soft-tissue thickness map (mm).
    soft_concentration : float
        Soft-tissue activity per mm^3 (fraction of the injected activity).
    pixel_area : float
        Pixel area in mm^2.
    metals : tuple of Metal
        Metal objects shadowing what lies behind them.
    soft_field : ndarray of float32, optional
        Relative soft-tissue concentration at each pixel (muscle and fat), 1 when absent.
    gap_ant : ndarray of float32, optional
        Extra distance (mm) from the anterior skin to the collimator at each pixel, for a sweep that
        keeps the anterior detector at one height; it sets the blur of the structures there.
    """
    proj = _new((int(thickness.shape[0]), int(thickness.shape[1])))
    for emitter in emitters:
        _add(proj, emitter, metals, pixel_area, gap_ant)
    concentration = np.full(thickness.shape, soft_concentration * pixel_area, dtype=np.float32)
    if soft_field is not None:
        concentration *= soft_field
    _soft_tissue(proj, thickness, concentration, metals)
    return proj


def mirror(array: NDArray[_T]) -> NDArray[_T]:
    """Return ``array`` with its columns reversed (anterior grid to posterior view grid)."""
    return np.ascontiguousarray(array[..., ::-1])
