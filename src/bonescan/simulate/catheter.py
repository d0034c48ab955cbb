"""A urinary catheter and its collection bag: the patient's urine, and its tracer, outside the bladder.

A catheterised patient's bladder is drained continuously, so it holds little tracer
(:data:`DRAINED_HOURS` of urine), and the urine the kidneys have excreted since the injection collects
in a bag: hanging beside the legs, outside the body, where neither camera sees it through tissue,
or strapped to the front of the thigh or the calf (a leg bag). A tube joins the bladder to the bag;
it carries the same urine, so its activity per millimetre follows from the bag's concentration and
its 5 mm bore. The bag holds 5-25% of the injected activity: a collection bag can be the brightest
thing in the image. :data:`CATHETER_SHARE` of the patients of a cohort have one (inpatients); the
draw has its own random stream, so it leaves every other draw of a case as it was.
"""

from __future__ import annotations

import math

import numpy as np

from bonescan.simulate.findings import Finding, SoftSpot, locate
from bonescan.simulate.phantom import Body
from bonescan.simulate.sampling import parts

__all__ = ["CATHETER_SHARE", "DRAINED_HOURS", "catheter_bag"]

#: Share of the patients of a cohort who have a urinary catheter with a collection bag.
CATHETER_SHARE = 0.04
#: Hours of urine a drained bladder holds (it sets the bladder's activity, as time since voiding does).
DRAINED_HOURS = 0.05
_TUBE_RADIUS_MM = 2.5
_TUBE_STEP_MM = 4.0


def _point(body: Body, host: int, u: float) -> tuple[float, float]:
    row_col, _, _ = locate(body.bones[host].primitive, u, 0.0)
    return row_col


def _bladder_centre(body: Body) -> tuple[float, float]:
    bladder = next(source for source in body.organs if source.name == "bladder")
    centre: tuple[float, float] = bladder.primitive.centre  # type: ignore[union-attr]
    return centre


def _pixel(body: Body, row: float, column: float) -> tuple[int, int]:
    """Return the grid pixel nearest to (row, column), kept inside the grid."""
    rows, columns = body.shape
    return min(max(round(row), 0), rows - 1), min(max(round(column), 0), columns - 1)


def _skin_column(body: Body, row: float, column: float, sign: float) -> float:
    """Return the column where the body ends, going from ``column`` along ``sign`` on ``row``."""
    r, col = _pixel(body, row, column)
    line = body.thickness[r]
    step = 1 if sign > 0 else -1
    while 0 <= col + step < line.size and line[col + step] > 0:
        col += step
    return float(col)


def _soft_at(
    body: Body,
    host: int,
    anchor: tuple[float, float],
    point: tuple[float, float],
    radius_mm: float,
    fraction: float,
) -> SoftSpot:
    spacing = body.frame.spacing_mm
    row, col = point
    inside = bool(body.thickness[_pixel(body, row, col)] > 0)
    return SoftSpot(
        host,
        0.0,
        0.0,
        (col - anchor[1]) * spacing,
        (row - anchor[0]) * spacing,
        radius_mm,
        fraction,
        0.0,
        outside=not inside,
    )


def catheter_bag(body: Body, rng: np.random.Generator) -> Finding:
    """Draw a collection bag (hanging beside the legs or strapped to one) and its tube.

    Parameters
    ----------
    body : Body
        The placed body.
    rng : numpy.random.Generator
        The case's catheter stream.

    Returns
    -------
    Finding
        Kind ``catheter_bag``, not malignant, region ``soft_tissue``; its soft spots are the bag and,
        from the bladder to the bag, the tube.
    """
    side = str(rng.choice(["left", "right"]))
    sign = 1.0 if side == "left" else -1.0  # the patient's left is the anterior grid's larger columns
    spacing = body.frame.spacing_mm
    femur = parts(body, f"femur_proximal_{side}", "femoral_shaft")[0]
    tibia = parts(body, f"tibia_fibula_{side}", "tibial_shaft")[0]
    anchor = _point(body, femur, 0.0)
    fraction = float(rng.uniform(0.05, 0.25))
    if rng.random() < 0.6:
        radius = float(rng.uniform(40.0, 60.0))
        row, bone_col = _point(body, tibia, float(rng.uniform(0.1, 0.6)))
        skin = _skin_column(body, row, bone_col, sign)
        centre = (row, skin + sign * (float(rng.uniform(10.0, 60.0)) + radius) / spacing)
        where = "hanging beside the legs"
    else:
        radius = float(rng.uniform(30.0, 42.0))
        on_thigh = rng.random() < 0.5
        host = femur if on_thigh else tibia
        row, bone_col = _point(
            body, host, float(rng.uniform(0.3, 0.8) if on_thigh else rng.uniform(0.2, 0.6))
        )
        centre = (row, bone_col + sign * float(rng.uniform(0.0, 25.0)) / spacing)
        where = "strapped to the " + ("thigh" if on_thigh else "calf")
    spots = [_soft_at(body, femur, anchor, centre, radius, fraction)]
    start = _bladder_centre(body)
    length_mm = math.hypot(centre[0] - start[0], centre[1] - start[1]) * spacing - radius
    tube_fraction = fraction * (_TUBE_RADIUS_MM / radius) ** 3
    for k in range(int(max(length_mm, 0.0) // _TUBE_STEP_MM)):
        t = k * _TUBE_STEP_MM / max(length_mm + radius, 1e-6)
        point = (start[0] + t * (centre[0] - start[0]), start[1] + t * (centre[1] - start[1]))
        spots.append(_soft_at(body, femur, anchor, point, _TUBE_RADIUS_MM, tube_fraction))
    return Finding(
        0,
        "catheter_bag",
        f"urine collection bag of a urinary catheter, {where}",
        False,
        "soft_tissue",
        soft=tuple(spots),
    )
