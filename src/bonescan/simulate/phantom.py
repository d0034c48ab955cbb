"""The whole phantom: body outline (soft tissue), skeleton, kidneys and bladder, placed on the grid.

:func:`build_body` returns a :class:`Body` for one patient in one position. The soft tissue is the union
of elliptical-section solids (head, neck, trunk, arms, legs, feet); its projected thickness map gives
both the soft-tissue emission and the body outline.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from bonescan.simulate.anatomy import Builder, Frame, Source, trunk_half_depth, trunk_half_width
from bonescan.simulate.geometry import Capsule, Ellipsoid, Primitive, Raster
from bonescan.simulate.limbs import arm_points, arm_scale
from bonescan.simulate.patient import FIELD_COLUMNS, FIELD_ROWS, PIXEL_SPACING_MM, Patient, Positioning
from bonescan.simulate.skeleton import add_skeleton

__all__ = ["LEAN_BUILD", "Body", "build_body", "lean_patient"]

logger = logging.getLogger(__name__)

_TRUNK_LEVELS = (0.15, 0.178, 0.2, 0.25, 0.3, 0.36, 0.41, 0.47, 0.5, 0.53)
#: Build (square root of BMI / 25) of the lean body inside every patient: tissue beyond it is fat.
LEAN_BUILD = math.sqrt(21.0 / 25.0)


@dataclass(frozen=True)
class Body:
    """One patient placed in the field.

    Attributes
    ----------
    frame : Frame
        The mapping from the patient's millimetres to the anterior grid.
    bones : tuple of Source
        The skeleton.
    organs : tuple of Source
        Kidneys (with their renal pelvis) and bladder.
    thickness : ndarray of float32
        Projected soft-tissue thickness (mm) in the anterior grid; zero outside the body.
    lean_thickness : ndarray of float32
        The part of ``thickness`` that is lean tissue (the body at a body-mass index of 21 at most);
        the rest is fat, which holds less tracer.
    pools : tuple of Source
        Soft-tissue structures holding more tracer than the rest (heart and great vessels, liver); their
        ``uptake`` is the excess concentration over the soft-tissue level.
    """

    frame: Frame
    bones: tuple[Source, ...]
    organs: tuple[Source, ...]
    thickness: NDArray[np.float32]
    lean_thickness: NDArray[np.float32]
    pools: tuple[Source, ...] = ()

    @property
    def shape(self) -> tuple[int, int]:
        """The grid size."""
        return self.frame.shape


def lean_patient(patient: Patient) -> Patient:
    """Return ``patient`` as the lean body inside them (body-mass index 21 at most, no abdominal fat)."""
    return replace(patient, build=min(patient.build, LEAN_BUILD), belly_mm=0.0, breast_size=0.0)


def _outline(b: Builder, p: Patient) -> list[Primitive]:
    """Return the soft-tissue solids of a body built like ``p``, with the arms of ``b``'s patient."""
    fr, h = b.frame, b.h
    build = p.build
    parts: list[Primitive] = [
        Ellipsoid(fr.px(0.0, 0.068 * h), fr.length(0.05 * h), fr.length(0.068 * h), 0.058 * h, fr.angle),
        Capsule(
            fr.px(0.0, 0.11 * h),
            fr.px(0.0, 0.17 * h),
            fr.length(0.033 * h * build**0.5),
            fr.length(0.036 * h * build**0.5),
            0.034 * h * build**0.5,
            0.036 * h * build**0.5,
        ),
    ]
    for ya, yb in itertools.pairwise(_TRUNK_LEVELS):
        parts.append(
            Capsule(
                fr.px(0.0, ya * h),
                fr.px(0.0, yb * h),
                fr.length(trunk_half_width(p, ya)),
                fr.length(trunk_half_width(p, yb)),
                trunk_half_depth(p, ya),
                trunk_half_depth(p, yb),
            )
        )
    parts.extend(_limbs(b, p))
    return parts


def _limbs(b: Builder, p: Patient) -> list[Primitive]:
    fr, h = b.frame, b.h
    build = p.build
    female = 1.07 if p.sex == "F" else 1.0
    parts: list[Primitive] = []

    def limb(
        a: tuple[float, float], z: tuple[float, float], r0: float, r1: float, scale: float = build
    ) -> Capsule:
        return Capsule(
            fr.px(a[0] * h, a[1] * h),
            fr.px(z[0] * h, z[1] * h),
            fr.length(r0 * h * scale),
            fr.length(r1 * h * scale),
            r0 * h * scale,
            r1 * h * scale,
        )

    arms = arm_scale(p)
    for s in (-1, 1):
        shoulder, elbow, wrist, tip = arm_points(b, s)
        parts.append(limb(shoulder, elbow, 0.03, 0.025, arms))
        parts.append(limb(elbow, wrist, 0.025, 0.017, arms))
        hand = ((wrist[0] + tip[0]) / 2, (wrist[1] + tip[1]) / 2)
        width = 0.026 if p.palms_up else 0.014
        depth = 0.014 if p.palms_up else 0.026
        parts.append(
            Ellipsoid(
                fr.px(hand[0] * h, hand[1] * h),
                fr.length(width * h),
                fr.length(0.055 * h),
                depth * h,
                fr.angle,
            )
        )
        hip, knee, calf, ankle = (
            (s * 0.055 * female, 0.47),
            (s * 0.053, 0.712),
            (s * 0.052, 0.78),
            (s * 0.047, 0.95),
        )
        parts.append(limb(hip, knee, 0.056 * female, 0.036))
        parts.append(limb(knee, calf, 0.036, 0.038))
        parts.append(limb(calf, ankle, 0.038, 0.019))
        parts.append(
            Ellipsoid(
                fr.px(s * 0.055 * h, 0.975 * h),
                fr.length(0.028 * h),
                fr.length(0.03 * h),
                0.075 * h,
                fr.angle,
            )
        )
    return parts


def _thickness(parts: list[Primitive], shape: tuple[int, int]) -> NDArray[np.float32]:
    thickness = np.zeros(shape, dtype=np.float32)
    for part in parts:
        raster = part.raster(shape)
        if raster is not None:
            view = thickness[raster.slices]
            np.maximum(view, raster.chord, out=view)
    return thickness


def _breasts(b: Builder) -> list[Raster]:
    """Return the chord maps of the breasts (none for men): soft tissue in front of the chest."""
    size, h, fr = b.patient.breast_size, b.h, b.frame
    if size <= 0:
        return []
    found = []
    for s in (-1, 1):
        centre = fr.px(s * 0.055 * h, 0.27 * h)
        solid = Ellipsoid(
            centre,
            fr.length(0.04 * h * size**0.5),
            fr.length(0.035 * h * size**0.5),
            0.025 * h * size,
            fr.angle,
        )
        raster = solid.raster(fr.shape)
        if raster is not None:
            found.append(raster)
    return found


def _behind_breasts(source: Source, breasts: list[Raster]) -> Source:
    """Return ``source`` with the breast tissue in front of its centre added to its anterior depth."""
    prim = source.primitive
    if isinstance(prim, Capsule):
        row, col = (prim.p0[0] + prim.p1[0]) / 2.0, (prim.p0[1] + prim.p1[1]) / 2.0
    else:
        row, col = prim.centre
    extra = 0.0
    for raster in breasts:
        r, c = round(row) - raster.r0, round(col) - raster.c0
        if 0 <= r < raster.chord.shape[0] and 0 <= c < raster.chord.shape[1]:
            extra += float(raster.chord[r, c])
    return replace(source, depth_ant=source.depth_ant + extra) if extra > 0 else source


def _add_organs(b: Builder, bladder_ml: float) -> None:
    h = b.h
    for s, side in ((-1, "right"), (1, "left")):
        y = 0.37 - s * 0.006
        depths = b.trunk_depths(y, 0.72)
        b.ellipsoid(
            "kidney",
            f"kidney_{side}",
            (s * 0.043, y),
            0.016 * h,
            0.031 * h,
            0.016 * h,
            depths,
            1.0,
            angle=-s * 0.3,
        )
        b.ellipsoid(
            "renal_pelvis",
            f"kidney_{side}",
            (s * 0.036, y + 0.004),
            0.006 * h,
            0.008 * h,
            8.0,
            depths,
            2.5,
        )
    radius = (3.0 * bladder_ml * 1000.0 / (4.0 * np.pi)) ** (1.0 / 3.0)
    y = 0.492 - radius * 0.6 / h
    b.ellipsoid(
        "bladder",
        "bladder",
        (0.0, y),
        radius * 1.25,
        radius * 0.85,
        radius * 0.95,
        b.trunk_depths(y, 0.28),
        1.0,
    )


def _add_pools(b: Builder) -> None:
    """Blood pool of the heart and great vessels, and the liver, as excesses over the soft tissue."""
    h, p = b.h, b.patient
    if p.blood_pool > 0.0:
        b.ellipsoid(
            "heart", "soft_tissue", (0.022, 0.262), 0.042 * h, 0.034 * h, 0.034 * h,
            b.trunk_depths(0.262, 0.38), p.blood_pool, angle=0.5,
        )  # fmt: skip
        b.capsule(
            "great_vessels", "soft_tissue", ((0.004, 0.196), (0.006, 0.232)), (0.011 * h, 0.014 * h),
            b.trunk_depths(0.215, 0.35), p.blood_pool, half_depth=0.014 * h,
        )  # fmt: skip
    if p.liver > 0.0:
        b.ellipsoid(
            "liver", "soft_tissue", (-0.038, 0.305), 0.062 * h, 0.042 * h, 0.036 * h,
            b.trunk_depths(0.305, 0.5), p.liver, angle=-0.25,
        )  # fmt: skip


def build_body(patient: Patient, positioning: Positioning, bladder_ml: float) -> Body:
    """Place ``patient`` in the field and build its skeleton, organs and soft-tissue outline.

    Parameters
    ----------
    patient : Patient
        Who is scanned.
    positioning : Positioning
        Rotation and shift on the table.
    bladder_ml : float
        Bladder filling (sets the bladder's size).
    """
    frame = Frame(patient.height_mm, positioning, PIXEL_SPACING_MM, (FIELD_ROWS, FIELD_COLUMNS))
    bones = Builder(patient, frame, size=patient.bone_scale)
    add_skeleton(bones)
    organs = Builder(patient, frame)
    _add_organs(organs, bladder_ml)
    pools = Builder(patient, frame)
    _add_pools(pools)
    thickness = _thickness(_outline(bones, patient), frame.shape)
    lean = np.minimum(_thickness(_outline(bones, lean_patient(patient)), frame.shape), thickness)
    breasts = _breasts(bones)
    sources = (
        tuple(_behind_breasts(source, breasts) for source in bones.sources)
        if breasts
        else tuple(bones.sources)
    )
    for raster in breasts:
        thickness[raster.slices] += raster.chord
    logger.debug("body with %d bone parts, %d organ parts", len(bones.sources), len(organs.sources))
    in_front = tuple(_behind_breasts(source, breasts) for source in pools.sources)
    return Body(frame, sources, tuple(organs.sources), thickness, lean, in_front)
