"""The labelled skeleton of the phantom.

Positions are fractions of the patient's height (x to the patient's left, y down from the vertex),
after adult proportions (Drillis and Contini); bone sizes are in millimetres. ``uptake`` is the tracer
concentration relative to average bone: trabecular bone (vertebral bodies, sternum, pelvis, joint ends)
takes up more than the cortical shafts of long bones. Depth within the trunk is given as the fraction
``f`` of its thickness from the front (0 anterior skin, 1 posterior skin).
"""

from __future__ import annotations

import math

import numpy as np

from bonescan.simulate.anatomy import Builder, trunk_front_extra, trunk_half_depth
from bonescan.simulate.limbs import SIDES, add_arm, add_legs, add_pelvis

__all__ = ["add_skeleton", "vertebra_levels"]


_RIB_W = (0.045, 0.060, 0.070, 0.077, 0.082, 0.085, 0.087, 0.087, 0.085, 0.081, 0.074, 0.066)
_RIB_D = (0.030, 0.040, 0.047, 0.051, 0.054, 0.056, 0.057, 0.057, 0.056, 0.054, 0.051, 0.048)
_RIB_DROP = (0.020, 0.035, 0.048, 0.056, 0.062, 0.066, 0.068, 0.068, 0.066, 0.060, 0.040, 0.030)
_RIB_END = (2.75, 2.75, 2.75, 2.75, 2.75, 2.75, 2.75, 2.5, 2.5, 2.5, 1.9, 1.5)


def vertebra_levels() -> dict[str, float]:
    """Return the level (y / height) of each vertebral body centre, C1-C7, T1-T12, L1-L5."""
    levels: dict[str, float] = {}
    for i in range(7):
        levels[f"C{i + 1}"] = 0.118 + i * 0.0083
    for i in range(12):
        levels[f"T{i + 1}"] = 0.177 + i * 0.0162
    for i in range(5):
        levels[f"L{i + 1}"] = 0.371 + i * 0.0205
    return levels


def add_skull(b: Builder) -> None:
    """Cranial vault (a shell), skull base, facial bones (maxilla, orbital rims) and mandible."""
    h = b.h
    head_t = 0.11 * h
    for wall, depths in (("front", (12.0, head_t - 12.0)), ("back", (head_t - 12.0, 12.0))):
        b.ellipsoid(
            f"cranium_{wall}",
            "skull",
            (0.0, 0.054),
            0.043 * h,
            0.05 * h,
            0.05 * h,
            depths,
            0.55,
            hollow=0.9,
            share=0.5,
        )
    b.ellipsoid(
        "skull_base",
        "skull",
        (0.0, 0.092),
        0.03 * h,
        0.006 * h,
        0.006 * h,
        (0.55 * head_t, 0.45 * head_t),
        0.7,
    )
    b.ellipsoid(
        "maxilla",
        "facial_mandible",
        (0.0, 0.094),
        0.021 * h,
        0.015 * h,
        0.008 * h,
        (0.2 * head_t, 0.8 * head_t),
        1.2,
    )
    for s, _ in SIDES:
        b.ellipsoid(
            "orbital_rim",
            "facial_mandible",
            (s * 0.019, 0.069),
            0.011 * h,
            0.0095 * h,
            8.0,
            (0.12 * head_t, 0.88 * head_t),
            0.9,
            hollow=0.7,
        )
    _add_frontal_hyperostosis(b, head_t)
    for s, _ in SIDES:
        b.capsule(
            "mandible",
            "facial_mandible",
            ((s * 0.036, 0.094), (s * 0.033, 0.118), (s * 0.017, 0.131), (0.0, 0.134)),
            0.0045 * h,
            (0.35 * head_t, 0.65 * head_t),
            0.8,
        )


def _add_frontal_hyperostosis(b: Builder, head_t: float) -> None:
    """Hyperostosis frontalis interna: a thickened inner table on both sides of the frontal midline."""
    uptake = b.patient.frontal_hyperostosis
    if uptake <= 0.0:
        return
    h = b.h
    for s, _ in SIDES:
        b.ellipsoid(
            "frontal_hyperostosis",
            "skull",
            (s * 0.013, 0.034),
            0.013 * h,
            0.014 * h,
            5.0,
            (20.0, head_t - 20.0),
            uptake,
        )


def _about_mean(shape: dict[int, float]) -> dict[int, float]:
    mean = sum(shape.values()) / len(shape)
    return {level: value - mean for level, value in shape.items()}


#: How far each lumbar body lies in front of the line from L1 to the sacrum, as a share of the
#: patient's lordosis (the apex at L3-L4), less the mean over L1-L5.
_LORDOSIS_OFFSET = _about_mean({1: 0.25, 2: 0.65, 3: 0.95, 4: 1.0, 5: 0.7})
#: The same for the thoracic kyphosis, behind the line from T1 to T12 (the apex at T6-T7).
_KYPHOSIS_OFFSET = _about_mean({k: math.sin(math.pi * (k - 0.5) / 12.0) for k in range(1, 13)})


def _curvature_shift(b: Builder, group: str, level: int) -> float:
    """How far (mm) a thoracic or lumbar vertebra lies forward of the mean depth of its group.

    The lumbar lordosis brings L3-L4 forward (nearer the anterior camera, further from the posterior
    one) and takes L1 back; the thoracic kyphosis takes the mid-thoracic spine back and brings the
    upper and lowest thoracic vertebrae forward. Each group's mean depth is that of a straight spine.
    """
    if group == "L":
        return b.patient.lordosis_mm * _LORDOSIS_OFFSET[level]
    return -b.patient.kyphosis_mm * _KYPHOSIS_OFFSET[level]


def _shifted(depths: tuple[float, float], forward: float) -> tuple[float, float]:
    """Depths below the anterior and posterior skin of a point moved ``forward`` mm (front depth >= 20 mm)."""
    front, back = depths
    move = min(forward, front - 20.0) if forward > 0 else max(forward, 20.0 - back)
    return front - move, back + move


def add_spine(b: Builder) -> None:
    """Vertebral bodies with their posterior arches and spinous processes, and the sacrum."""
    h = b.h
    levels = vertebra_levels()
    for name, y in levels.items():
        group = name[0]
        region = {"C": "cervical_spine", "T": "thoracic_spine", "L": "lumbar_spine"}[group]
        spacing = {"C": 0.0083, "T": 0.0162, "L": 0.0205}[group]
        k = int(name[1:])
        width = {"C": 0.0085, "T": 0.0085 + 0.0035 * k / 12, "L": 0.0125 + 0.0004 * k}[group]
        body_depth = {"C": 8.0, "T": 11.0 + k * 0.4, "L": 16.0}[group]
        f = {"C": 0.55, "T": 0.68, "L": 0.62}[group]
        if group == "C":
            neck_t = 0.068 * h * b.patient.build**0.5
            depths = (f * neck_t, (1 - f) * neck_t)
            arch = (0.75 * neck_t, 0.25 * neck_t)
        else:
            forward = _curvature_shift(b, group, k)
            depths = _shifted(b.trunk_depths(y, f), forward)
            arch = _shifted(b.trunk_depths(y, f + 0.14), forward)
        b.ellipsoid(
            f"vertebra_{name}",
            region,
            (0.0, y),
            width * h,
            0.36 * spacing * h,
            body_depth,
            depths,
            1.3,
        )
        b.capsule(
            f"arch_{name}",
            region,
            ((-width * 1.15, y + 0.2 * spacing), (width * 1.15, y + 0.2 * spacing)),
            0.22 * spacing * h,
            arch,
            1.1,
            half_depth=6.0,
        )
        b.ellipsoid(
            f"spinous_{name}",
            region,
            (0.0, y + 0.35 * spacing),
            0.0035 * h,
            0.3 * spacing * h,
            5.0,
            b.trunk_depths(y, 0.9) if group != "C" else arch,
            1.0,
        )
    for i, (y, w) in enumerate(((0.466, 0.027), (0.481, 0.021), (0.495, 0.014), (0.507, 0.007))):
        b.ellipsoid(
            f"sacrum_{i + 1}",
            "sacrum",
            (0.0, y),
            w * h,
            0.0085 * h,
            12.0 - 2.0 * i,
            b.trunk_depths(y, 0.76 + 0.03 * i),
            1.2,
        )


def add_thorax(b: Builder) -> None:
    """Ribs (curved, overlapping), sternum, clavicles and scapulae."""
    h = b.h
    levels = vertebra_levels()
    female = 0.94 if b.patient.sex == "F" else 1.0
    for s, side in SIDES:
        for i in range(12):
            _add_rib(b, s, side, i, levels[f"T{i + 1}"], female)
        b.capsule(
            "clavicle",
            f"clavicle_{side}",
            ((s * 0.012, 0.184), (s * 0.05, 0.183), (s * 0.085, 0.176), (s * 0.100, 0.179)),
            0.0045 * h,
            b.trunk_depths(0.19, 0.12),
            0.75,
        )
        b.ellipsoid(
            "sternoclavicular",
            f"clavicle_{side}",
            (s * 0.014, 0.185),
            0.006 * h,
            0.006 * h,
            6.0,
            b.trunk_depths(0.19, 0.08),
            1.2,
            joint=True,
        )
        _add_scapula(b, s, side, female)
    b.ellipsoid(
        "manubrium",
        "sternum",
        (0.0, 0.197),
        0.018 * h,
        0.013 * h,
        7.0,
        b.trunk_depths(0.2, 0.05),
        1.4,
    )
    b.capsule(
        "sternal_body",
        "sternum",
        ((0.0, 0.214), (0.0, 0.285)),
        (0.009 * h, 0.007 * h),
        b.trunk_depths(0.25, 0.04),
        1.15,
        half_depth=6.0,
    )


def _add_rib(b: Builder, s: int, side: str, i: int, y0: float, female: float) -> None:
    h, n = b.h, 6
    width, depth = _RIB_W[i] * female, _RIB_D[i]
    angles = np.linspace(0.2, _RIB_END[i], n + 1)
    x = s * (0.012 + (width - 0.012) * np.sin(angles))
    y = y0 + _RIB_DROP[i] * (1.0 - np.cos(angles)) / 2.0
    z = depth * np.cos(angles)
    for k in range(n):
        d2 = math.hypot(x[k + 1] - x[k], y[k + 1] - y[k])
        d3 = math.hypot(d2, z[k + 1] - z[k])
        slant = min(d3 / max(d2, 1e-6), 3.0)
        ym, zm = (y[k] + y[k + 1]) / 2.0, (z[k] + z[k + 1]) / 2.0
        fat = trunk_front_extra(b.patient, ym)
        half = trunk_half_depth(b.patient, ym) - fat / 2.0
        depths = (half + zm * h + fat, half - zm * h)
        b.capsule(
            f"rib_{i + 1}",
            f"ribs_{side}",
            ((x[k], y[k]), (x[k + 1], y[k + 1])),
            5.5,
            depths,
            0.8 if k else 0.95,
            half_depth=4.0,
            slant=slant,
        )


def _add_scapula(b: Builder, s: int, side: str, female: float) -> None:
    h = b.h
    region = f"scapula_{side}"
    b.plate(
        "scapula_blade",
        region,
        (s * 0.07 * female, 0.236),
        0.028 * h,
        0.048 * h,
        9.0,
        b.trunk_depths(0.236, 0.88),
        0.85,
        angle=s * 0.2,
    )
    b.capsule(
        "scapular_spine",
        region,
        ((s * 0.035, 0.207), (s * 0.100 * female, 0.188)),
        0.004 * h,
        b.trunk_depths(0.2, 0.92),
        1.0,
    )
    b.capsule(
        "scapula_lateral_border",
        region,
        ((s * 0.094 * female, 0.206), (s * 0.072 * female, 0.284)),
        0.0045 * h,
        b.trunk_depths(0.245, 0.85),
        0.95,
    )
    b.ellipsoid(
        "glenoid",
        region,
        (s * 0.098 * female, 0.197),
        0.008 * h,
        0.011 * h,
        10.0,
        b.trunk_depths(0.197, 0.6),
        1.3,
        joint=True,
    )


def add_skeleton(b: Builder) -> None:
    """Add every bone of the skeleton to ``b``."""
    add_skull(b)
    add_spine(b)
    add_thorax(b)
    add_arm(b)
    add_pelvis(b)
    add_legs(b)
