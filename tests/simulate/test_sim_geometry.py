"""The primitives' chord maps integrate to the solids' volumes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bonescan.simulate.geometry import Capsule, Ellipsoid, Plate, overlap

SHAPE = (200, 200)


def _volume(raster_sum: float) -> float:
    return raster_sum  # chord (mm) summed over 1 mm pixels is mm^3 when the spacing is 1 mm


def test_ellipsoid_chord_integrates_to_its_volume() -> None:
    solid = Ellipsoid((100.0, 100.0), 30.0, 20.0, 15.0, angle=0.4)
    raster = solid.raster(SHAPE)
    assert raster is not None
    expected = 4.0 / 3.0 * math.pi * 30.0 * 20.0 * 15.0
    assert _volume(raster.volume_mm3_per_px) == pytest.approx(expected, rel=0.01)


def test_shell_volume_is_outer_minus_inner() -> None:
    shell = Ellipsoid((100.0, 100.0), 40.0, 40.0, 40.0, hollow=0.9)
    raster = shell.raster(SHAPE)
    assert raster is not None
    expected = 4.0 / 3.0 * math.pi * 40.0**3 * (1.0 - 0.9**3)
    assert raster.volume_mm3_per_px == pytest.approx(expected, rel=0.03)
    centre = raster.chord[100 - raster.r0, 100 - raster.c0]
    assert centre == pytest.approx(2 * 40.0 * 0.1, rel=0.01)  # two walls of 4 mm


def test_capsule_chord_integrates_to_cylinder_plus_caps() -> None:
    capsule = Capsule((50.0, 100.0), (150.0, 100.0), 10.0, 10.0, 10.0, 10.0)
    raster = capsule.raster(SHAPE)
    assert raster is not None
    expected = math.pi * 10.0**2 * 100.0 + 4.0 / 3.0 * math.pi * 10.0**3
    assert raster.volume_mm3_per_px == pytest.approx(expected, rel=0.02)


def test_slant_keeps_the_volume_of_a_segment_running_in_depth() -> None:
    flat = Capsule((50.0, 100.0), (150.0, 100.0), 5.0, 5.0, 5.0, 5.0).raster(SHAPE)
    slanted = Capsule((50.0, 100.0), (150.0, 100.0), 5.0, 5.0, 5.0, 5.0, slant=2.0).raster(SHAPE)
    assert flat is not None and slanted is not None
    assert slanted.volume_mm3_per_px == pytest.approx(2.0 * flat.volume_mm3_per_px)


def test_plate_has_constant_thickness_inside() -> None:
    plate = Plate((100.0, 100.0), 40.0, 30.0, 9.0)
    raster = plate.raster(SHAPE)
    assert raster is not None
    assert raster.chord.max() == pytest.approx(9.0)
    assert raster.volume_mm3_per_px == pytest.approx(math.pi * 40 * 30 * 9.0, rel=0.03)


def test_primitive_outside_the_grid_has_no_raster() -> None:
    assert Ellipsoid((-100.0, -100.0), 5.0, 5.0, 5.0).raster(SHAPE) is None


def test_overlap_returns_matching_parts() -> None:
    a = Ellipsoid((100.0, 100.0), 20.0, 20.0, 20.0).raster(SHAPE)
    b = Ellipsoid((110.0, 110.0), 20.0, 20.0, 20.0).raster(SHAPE)
    assert a is not None and b is not None
    found = overlap(a, b)
    assert found is not None
    part_a, part_b, (rows, cols) = found
    assert part_a.shape == part_b.shape == (rows.stop - rows.start, cols.stop - cols.start)
    assert np.all(part_a[rows.start - a.r0 :, :] >= 0)
