"""The limbs and girdles of the phantom: arms, hands, pelvis, legs and feet.

Positions are fractions of the patient's height (x to the patient's left, y down from the vertex), bone
sizes in millimetres, ``uptake`` relative to average bone (see :mod:`bonescan.simulate.skeleton`).
"""

from __future__ import annotations

import math

import numpy as np

from bonescan.simulate.anatomy import Builder, trunk_half_width
from bonescan.simulate.patient import Patient

__all__ = ["SIDES", "add_arm", "add_legs", "add_pelvis", "arm_points", "arm_scale"]

#: Level (y / height) of the elbow with the arm by the side, where the trunk is checked against the arm.
_ELBOW_Y = 0.38

SIDES: tuple[tuple[int, str], ...] = ((-1, "right"), (1, "left"))


def _shoulder_x(builder: Builder) -> float:
    return 0.112 * (0.93 if builder.patient.sex == "F" else 1.0)


def arm_scale(patient: Patient) -> float:
    """Factor on the soft-tissue radius of the arms: arms thicken faster than the body with weight."""
    return float(patient.build**1.3)


def _abduction(builder: Builder, side: int, shoulder_x: float) -> float:
    """Return the upper arm's abduction (radians), between what the trunk and the field allow.

    A broad trunk pushes the arm out until its axis lies at least on the trunk's outline (so the arm's
    soft tissue touches or overlaps the outline, as the flank bulges over an arm resting on the table);
    the field of view limits it so that the elbow stays inside.
    """
    patient, h = builder.patient, builder.h
    drawn = math.radians(patient.abduction_deg[0 if side < 0 else 1])
    trunk_sin = (trunk_half_width(patient, _ELBOW_Y) / h - shoulder_x) / 0.186
    alpha = max(drawn, math.asin(float(np.clip(trunk_sin, 0.0, 1.0))))
    half_field = builder.frame.shape[1] * builder.frame.spacing_mm / 2.0
    room = half_field - abs(builder.frame.positioning.offset_x_mm) - 0.03 * h * arm_scale(patient) - 8.0
    max_sin = (room / h - shoulder_x) / 0.186
    return min(alpha, math.asin(float(np.clip(max_sin, 0.0, 1.0))))


def arm_points(builder: Builder, side: int) -> tuple[tuple[float, float], ...]:
    """Return shoulder, elbow, wrist and fingertip (fractions of height) of one arm.

    The abduction is raised, if need be, so that the arm rests against a broad trunk rather than in
    it, and reduced so that the elbow stays inside the field of view.
    """
    patient = builder.patient
    index = 0 if side < 0 else 1
    shoulder = (side * _shoulder_x(builder), 0.197)
    alpha = _abduction(builder, side, abs(shoulder[0]))
    beta = alpha - math.radians(patient.elbow_deg[index])
    elbow = (shoulder[0] + side * 0.186 * math.sin(alpha), shoulder[1] + 0.186 * math.cos(alpha))
    wrist = (elbow[0] + side * 0.146 * math.sin(beta), elbow[1] + 0.146 * math.cos(beta))
    tip = (wrist[0] + side * 0.108 * math.sin(beta), wrist[1] + 0.108 * math.cos(beta))
    return shoulder, elbow, wrist, tip


def _lerp(a: tuple[float, float], b: tuple[float, float], u: float) -> tuple[float, float]:
    return a[0] + u * (b[0] - a[0]), a[1] + u * (b[1] - a[1])


def add_arm(b: Builder) -> None:
    """Humeri (proximal and distal halves), radius and ulna, and hands."""
    h = b.h
    for s, side in SIDES:
        shoulder, elbow, wrist, tip = arm_points(b, s)
        arm_t = 2 * 0.027 * h * arm_scale(b.patient)
        mid = (arm_t / 2, arm_t / 2)
        b.ellipsoid(
            "humeral_head",
            f"humerus_proximal_{side}",
            shoulder,
            0.013 * h,
            0.014 * h,
            0.013 * h,
            b.trunk_depths(0.197, 0.5),
            1.3,
            joint=True,
        )
        middle = _lerp(shoulder, elbow, 0.5)
        b.capsule(
            "humeral_shaft",
            f"humerus_proximal_{side}",
            (_lerp(shoulder, elbow, 0.08), middle),
            0.0065 * h,
            mid,
            0.45,
        )
        b.capsule(
            "humeral_shaft",
            f"humerus_distal_{side}",
            (middle, _lerp(shoulder, elbow, 0.95)),
            (0.0065 * h, 0.008 * h),
            mid,
            0.45,
        )
        b.ellipsoid(
            "humeral_condyles",
            f"humerus_distal_{side}",
            elbow,
            0.013 * h,
            0.007 * h,
            0.006 * h,
            mid,
            0.7,
            joint=True,
        )
        _add_forearm_and_hand(b, s, side, elbow, wrist, tip, mid)


def _add_forearm_and_hand(
    b: Builder,
    s: int,
    side: str,
    elbow: tuple[float, float],
    wrist: tuple[float, float],
    tip: tuple[float, float],
    depths: tuple[float, float],
) -> None:
    h = b.h
    dx, dy = wrist[0] - elbow[0], wrist[1] - elbow[1]
    norm = math.hypot(dx, dy)
    px, py = -dy / norm, dx / norm
    gap = 0.0065 if b.patient.palms_up else 0.0025
    for sign, bone in ((1.0, "radius"), (-1.0, "ulna")):
        off = sign * s * gap
        b.capsule(
            bone,
            f"forearm_{side}",
            ((elbow[0] + off * px, elbow[1] + off * py + 0.006), (wrist[0] + off * px, wrist[1] + off * py)),
            0.0036 * h,
            depths,
            0.5,
        )
    carpus = _lerp(wrist, tip, 0.12)
    b.ellipsoid(
        "carpus",
        f"hand_{side}",
        carpus,
        (0.016 if b.patient.palms_up else 0.01) * h,
        0.011 * h,
        8.0,
        depths,
        1.1,
        joint=True,
    )
    spread = 0.005 if b.patient.palms_up else 0.0018
    for finger in range(-2, 2):
        start = (carpus[0] + (finger + 0.5) * spread * px, carpus[1] + (finger + 0.5) * spread * py)
        end_base = _lerp(carpus, tip, 1.0)
        end = (
            end_base[0] + (finger + 0.5) * spread * 1.6 * px,
            end_base[1] + (finger + 0.5) * spread * 1.6 * py,
        )
        b.capsule("finger", f"hand_{side}", (start, end), (0.0028 * h, 0.0018 * h), depths, 0.8)
    thumb_end = (carpus[0] + s * 0.02 * abs(px) + 0.012 * px * s, carpus[1] + 0.04)
    b.capsule("thumb", f"hand_{side}", (carpus, thumb_end), 0.0028 * h, depths, 0.9)


def add_pelvis(b: Builder) -> None:
    """Iliac wings and crests, sacroiliac joints, acetabula, ischia and pubic bones."""
    female = 1.07 if b.patient.sex == "F" else 1.0
    for s, side in SIDES:
        _add_ilium(b, s, f"pelvis_{side}", female)
        _add_ischium_and_pubis(b, s, f"pelvis_{side}", female)


def _add_ilium(b: Builder, s: int, region: str, female: float) -> None:
    h = b.h
    b.plate(
        "iliac_wing", region, (s * 0.06 * female, 0.432), 0.038 * h * female, 0.028 * h, 10.0,
        b.trunk_depths(0.432, 0.55), 1.0, angle=-s * 0.45,
    )  # fmt: skip
    crest = (
        (s * 0.03, 0.423),
        (s * 0.066 * female, 0.404),
        (s * 0.094 * female, 0.425),
        (s * 0.088 * female, 0.452),
    )
    b.capsule("iliac_crest", region, crest, 0.005 * h, b.trunk_depths(0.42, 0.5), 1.0)
    b.capsule(
        "sacroiliac", region, ((s * 0.028, 0.44), (s * 0.023, 0.472)), 0.0045 * h,
        b.trunk_depths(0.455, 0.78), 1.35, joint=True,
    )  # fmt: skip
    body = ((s * 0.055 * female, 0.445), (s * 0.05 * female, 0.463))
    b.capsule("ilium_body", region, body, 0.008 * h, b.trunk_depths(0.455, 0.52), 1.0)


def _add_ischium_and_pubis(b: Builder, s: int, region: str, female: float) -> None:
    h = b.h
    b.ellipsoid(
        "acetabulum", region, (s * 0.05 * female, 0.476), 0.018 * h, 0.018 * h, 0.016 * h,
        b.trunk_depths(0.476, 0.5), 0.75, hollow=0.8, joint=True,
    )  # fmt: skip
    tuber = (s * 0.045 * female, 0.515)
    b.capsule(
        "ischium", region, ((s * 0.048 * female, 0.492), tuber), 0.0075 * h, b.trunk_depths(0.5, 0.62), 1.0
    )
    rami = ((s * 0.04 * female, 0.479), (s * 0.01, 0.492), (s * 0.012, 0.506), tuber)
    b.capsule("pubic_rami", region, rami, 0.0055 * h, b.trunk_depths(0.49, 0.22), 0.8)


def add_legs(b: Builder) -> None:
    """Femora (proximal and distal halves), patellae, tibiae and fibulae, feet."""
    for s, side in SIDES:
        _add_femur(b, s, side)
        _add_tibia_fibula(b, s, side)
        _add_foot(b, s, side)


def _add_femur(b: Builder, s: int, side: str) -> None:
    h = b.h
    female = 1.07 if b.patient.sex == "F" else 1.0
    hip, knee = (s * 0.05 * female, 0.476), (s * 0.053, 0.712)
    mid = (0.05 * h * b.patient.build, 0.05 * h * b.patient.build)
    leg_t = 2 * 0.034 * h * b.patient.build
    prox, dist = f"femur_proximal_{side}", f"femur_distal_{side}"
    head_depths = b.trunk_depths(0.476, 0.5)
    b.ellipsoid("femoral_head", prox, hip, 0.013 * h, 0.013 * h, 0.013 * h, head_depths, 0.8, joint=True)
    trochanter = (s * 0.085 * female, 0.489)
    b.capsule("femoral_neck", prox, (hip, trochanter), 0.0075 * h, b.trunk_depths(0.48, 0.5), 0.7)
    b.ellipsoid("greater_trochanter", prox, trochanter, 0.01 * h, 0.012 * h, 0.012 * h, mid, 1.0)
    shaft_top = (s * 0.078 * female, 0.497)
    middle = _lerp(shaft_top, knee, 0.5)
    b.capsule("femoral_shaft", prox, (shaft_top, middle), 0.0075 * h, mid, 0.45)
    b.capsule("femoral_shaft", dist, (middle, (knee[0], 0.69)), (0.0075 * h, 0.011 * h), mid, 0.45)
    condyles = (knee[0], 0.705)
    b.ellipsoid("femoral_condyles", dist, condyles, 0.021 * h, 0.012 * h, 0.012 * h, mid, 0.7, joint=True)
    front = (0.1 * leg_t, 0.9 * leg_t)
    b.ellipsoid("patella", dist, (knee[0], 0.694), 0.009 * h, 0.011 * h, 6.0, front, 0.8, joint=True)


def _add_tibia_fibula(b: Builder, s: int, side: str) -> None:
    h = b.h
    region = f"tibia_fibula_{side}"
    leg_t = 2 * 0.034 * h * b.patient.build
    mid = (leg_t / 2, leg_t / 2)
    knee_x, ankle = s * 0.053, (s * 0.047, 0.952)
    plateau = (knee_x, 0.72)
    b.ellipsoid("tibial_plateau", region, plateau, 0.02 * h, 0.009 * h, 0.011 * h, mid, 0.7, joint=True)
    shaft = ((knee_x, 0.73), ankle)
    b.capsule("tibial_shaft", region, shaft, (0.007 * h, 0.0055 * h), (0.35 * leg_t, 0.65 * leg_t), 0.5)
    fibula = ((s * 0.07, 0.728), (s * 0.064, 0.955))
    b.capsule("fibula", region, fibula, 0.0032 * h, (0.6 * leg_t, 0.4 * leg_t), 0.45)
    b.ellipsoid("distal_tibia", region, ankle, 0.011 * h, 0.008 * h, 0.009 * h, mid, 0.6, joint=True)


def _add_foot(b: Builder, s: int, side: str) -> None:
    h = b.h
    region = f"foot_{side}"
    foot_t = 0.15 * h
    b.ellipsoid(
        "hindfoot",
        region,
        (s * 0.05, 0.968),
        0.016 * h,
        0.012 * h,
        0.018 * h,
        (0.65 * foot_t, 0.35 * foot_t),
        0.5,
        joint=True,
    )
    b.ellipsoid(
        "midfoot",
        region,
        (s * 0.06, 0.983),
        0.02 * h,
        0.011 * h,
        0.022 * h,
        (0.35 * foot_t, 0.65 * foot_t),
        0.6,
    )
    b.capsule(
        "toes",
        region,
        ((s * 0.06, 0.99), (s * 0.066, 0.998)),
        0.012 * h,
        (0.1 * foot_t, 0.9 * foot_t),
        0.5,
        half_depth=8.0,
    )
