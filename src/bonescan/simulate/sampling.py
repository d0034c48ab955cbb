"""Drawing findings: metastases, cold lesions, the super scan and the benign look-alikes.

Every sampler takes the placed body (to know its bone parts), a random generator and what it needs of
the patient, and returns findings with ``id`` 0; :func:`number` gives them their ids. Sizes, contrasts and
sites follow the literature summarised in ``docs/simulator.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from bonescan.simulate.anatomy import Source
from bonescan.simulate.findings import Finding, MetalPiece, PartChange, SoftSpot, Spot
from bonescan.simulate.geometry import Capsule
from bonescan.simulate.phantom import Body

__all__ = [
    "BENIGN_KINDS",
    "METASTASIS_SITES",
    "joint_degeneration_share",
    "number",
    "sample_benign",
    "sample_joint_degeneration",
    "sample_kind",
    "sample_malignant",
    "sample_spondylosis",
    "spondylosis_share",
]

#: Share of metastases by site (about 90% axial: spine, pelvis, ribs, skull, proximal femur/humerus).
METASTASIS_SITES: dict[str, float] = {
    "thoracic_spine": 0.18,
    "lumbar_spine": 0.15,
    "cervical_spine": 0.03,
    "sacrum": 0.05,
    "pelvis": 0.17,
    "ribs": 0.14,
    "skull": 0.06,
    "femur_proximal": 0.08,
    "humerus_proximal": 0.04,
    "sternum": 0.03,
    "scapula": 0.03,
    "clavicle": 0.01,
    "femur_distal": 0.01,
    "humerus_distal": 0.005,
    "tibia_fibula": 0.005,
}
_AXIAL_DIFFUSE = (
    "skull",
    "cervical_spine",
    "thoracic_spine",
    "lumbar_spine",
    "sacrum",
    "sternum",
    "ribs_left",
    "ribs_right",
    "pelvis_left",
    "pelvis_right",
    "femur_proximal_left",
    "femur_proximal_right",
    "humerus_proximal_left",
    "humerus_proximal_right",
    "scapula_left",
    "scapula_right",
)
#: The benign look-alikes a patient may have; ``spondylosis`` gives findings of kind ``degenerative``.
BENIGN_KINDS = (
    "degenerative",
    "spondylosis",
    "fracture",
    "paget",
    "osteomyelitis",
    "prosthesis",
    "urine_contamination",
    "injection_site",
)
_BENIGN_WEIGHTS = (0.3, 0.25, 0.2, 0.08, 0.07, 0.1, 0.12, 0.13)


def _regions(site: str, rng: np.random.Generator) -> str:
    paired = (
        "pelvis",
        "ribs",
        "femur_proximal",
        "humerus_proximal",
        "scapula",
        "clavicle",
        "femur_distal",
        "humerus_distal",
        "tibia_fibula",
        "hand",
        "foot",
    )
    return f"{site}_{'left' if rng.random() < 0.5 else 'right'}" if site in paired else site


def parts(body: Body, region: str | None = None, name: str | None = None) -> list[int]:
    """Return the indices of the bone parts of ``region`` and/or called ``name``."""
    return [
        i
        for i, source in enumerate(body.bones)
        if (region is None or source.region == region) and (name is None or source.name == name)
    ]


def _pick_part(body: Body, candidates: Sequence[int], rng: np.random.Generator) -> int:
    sizes = np.array([_volume_hint(body.bones[i]) for i in candidates])
    return int(candidates[int(rng.choice(len(candidates), p=sizes / sizes.sum()))])


def _volume_hint(source: Source) -> float:
    prim = source.primitive
    if isinstance(prim, Capsule):
        length = math.hypot(prim.p1[0] - prim.p0[0], prim.p1[1] - prim.p0[1]) + prim.radius0
        return length * prim.radius0 * max(prim.depth0, 1.0)
    return source.size_mm**2 * 4.0


def _position(source: Source, rng: np.random.Generator) -> tuple[float, float]:
    if isinstance(source.primitive, Capsule):
        return float(rng.uniform(0.05, 0.95)), float(rng.uniform(-0.4, 0.4))
    angle, radius = rng.uniform(0, 2 * math.pi), 0.75 * math.sqrt(rng.random())
    return radius * math.cos(angle), radius * math.sin(angle)


def _spot_in(body: Body, region: str, rng: np.random.Generator, radius: float, ratio: float) -> Spot:
    candidates = parts(body, region)
    host = _pick_part(body, candidates, rng)
    u, v = _position(body.bones[host], rng)
    return Spot(host, u, v, radius, ratio)


def _lesion_count(rng: np.random.Generator) -> int:
    pick = rng.random()
    if pick < 0.25:
        return 1
    if pick < 0.7:
        return int(rng.integers(2, 7))
    if pick < 0.9:
        return int(rng.integers(7, 21))
    return int(rng.integers(21, 41))


def _metastases(body: Body, rng: np.random.Generator, primary: str, count: int) -> list[Finding]:
    sites, weights = zip(*METASTASIS_SITES.items(), strict=True)
    probabilities = np.array(weights) / sum(weights)
    lytic = primary in ("kidney", "thyroid")
    found = []
    for _ in range(count):
        site = str(rng.choice(sites, p=probabilities))
        if primary == "lung" and rng.random() < 0.08:
            site = "hand" if rng.random() < 0.4 else "foot"
        region = _regions(site, rng)
        radius = float(np.clip(rng.lognormal(math.log(11.0), 0.45), 6.0, 35.0))
        cold = lytic and rng.random() < 0.6
        ratio = float(rng.uniform(0.05, 0.5)) if cold else _log_uniform(rng, 2.0, 10.0)
        kind = "lytic_metastasis" if cold else "metastasis"
        spot = replace(_spot_in(body, region, rng, radius, ratio), elongation=float(rng.uniform(0.7, 1.4)))
        found.append(Finding(0, kind, f"{primary} cancer metastasis", True, region, spots=(spot,)))
    return found


def _myeloma(body: Body, rng: np.random.Generator) -> list[Finding]:
    sites = (
        "skull",
        "thoracic_spine",
        "lumbar_spine",
        "ribs",
        "pelvis",
        "femur_proximal",
        "humerus_proximal",
    )
    found = []
    for _ in range(int(rng.integers(2, 13))):
        region = _regions(str(rng.choice(sites)), rng)
        spot = _spot_in(body, region, rng, float(rng.uniform(6.0, 18.0)), float(rng.uniform(0.0, 0.4)))
        found.append(Finding(0, "myeloma", "multiple myeloma deposit", True, region, spots=(spot,)))
    return found


def _super_scan(body: Body, rng: np.random.Generator, primary: str) -> list[Finding]:
    factor = float(rng.uniform(1.5, 2.3))
    diffuse = {name: factor * float(rng.uniform(0.9, 1.1)) for name in _AXIAL_DIFFUSE}
    involvement = {name: float(rng.uniform(0.3, 0.8)) for name in _AXIAL_DIFFUSE}
    scan = Finding(
        0,
        "super_scan",
        f"diffuse {primary} cancer metastases",
        True,
        "skeleton",
        diffuse=diffuse,
        involvement=involvement,
    )
    return [scan, *_metastases(body, rng, primary, int(rng.integers(0, 6)))]


def sample_malignant(body: Body, rng: np.random.Generator, primary: str) -> list[Finding]:
    """Draw the malignant findings of a metastatic patient with ``primary`` cancer.

    Myeloma gives cold deposits; prostate and breast cancer give a super scan in 8% of patients;
    otherwise 1 to 40 metastases (25% solitary), cold (lytic) for most kidney and thyroid primaries.
    """
    if primary == "myeloma":
        return _myeloma(body, rng)
    if primary in ("prostate", "breast") and rng.random() < 0.08:
        return _super_scan(body, rng, primary)
    return _metastases(body, rng, primary, _lesion_count(rng))


def _joint_spot(body: Body, index: int, rng: np.random.Generator, v: float) -> Spot:
    return Spot(
        index, float(rng.uniform(-0.6, 0.6)), v, float(rng.uniform(7.0, 13.0)), float(rng.uniform(1.5, 3.0))
    )


#: Vertebral levels where spondylosis (endplate osteophytes) shows, with their weights: mostly the
#: lower lumbar spine, then the lower thoracic spine.
_SPONDYLOSIS_LEVELS = {
    "T8": 0.5,
    "T9": 0.6,
    "T10": 0.8,
    "T11": 1.0,
    "T12": 1.0,
    "L1": 1.0,
    "L2": 1.4,
    "L3": 2.0,
    "L4": 2.6,
    "L5": 2.2,
}


def sample_spondylosis(body: Body, rng: np.random.Generator) -> list[Finding]:
    """Spondylosis of 1-3 vertebral levels: endplate sclerosis and osteophytes next to a disc.

    The commonest benign spine finding of older patients, and the one that looks most like a solitary
    vertebral metastasis on a planar scan: mild to moderate uptake at the margin of a vertebral body
    next to the disc, at more than one level in half. At a level, either osteophytes at a corner of
    the body (one side, or both in about a third), or, in 45% above L5, the two endplates that face
    the disc below (on one side, both, or as a band across the width), so that the uptake straddles
    the disc. The spots lie inside the bone, whose edge clips them: truth contrast mostly 1.2-1.9.
    """
    names = list(_SPONDYLOSIS_LEVELS)
    weights = np.array(list(_SPONDYLOSIS_LEVELS.values()))
    count = int(rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2]))
    levels = rng.choice(names, size=count, replace=False, p=weights / weights.sum())
    found = []
    for level in sorted(str(name) for name in levels):
        host = parts(body, name=f"vertebra_{level}")[0]
        below = _level_below(level)
        if below is not None and rng.random() < 0.45:
            spots, what = _disc_spots(body, host, below, rng), f"degenerative disc {level}/{below}"
        else:
            spots, what = _osteophyte_spots(host, rng), f"spondylosis (endplate osteophytes) {level}"
        found.append(Finding(0, "degenerative", what, False, body.bones[host].region, spots=spots))
    return found


def _level_below(level: str) -> str | None:
    """Return the vertebra below ``level`` (T12 -> L1), or None for L5 (the sacrum follows it)."""
    if level == "L5":
        return None
    return "L1" if level == "T12" else f"{level[0]}{int(level[1:]) + 1}"


def _osteophyte_spots(host: int, rng: np.random.Generator) -> tuple[Spot, ...]:
    endplate = float(rng.choice([-1.0, 1.0])) * float(rng.uniform(0.4, 0.65))  # upper or lower
    one_side = float(rng.choice([-1.0, 1.0]))
    sides = [-1.0, 1.0] if rng.random() < 0.35 else [one_side]
    return tuple(
        Spot(
            host,
            side * float(rng.uniform(0.35, 0.6)),
            endplate,
            float(rng.uniform(7.0, 11.0)),
            _log_uniform(rng, 3.0, 9.0),
            float(rng.uniform(0.5, 1.0)),
        )
        for side in sides
    )


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def _disc_spots(body: Body, host: int, below: str, rng: np.random.Generator) -> tuple[Spot, ...]:
    """Return spots on the lower endplate of ``host`` and the upper endplate of the vertebra ``below``."""
    facing = ((host, 1.0), (parts(body, name=f"vertebra_{below}")[0], -1.0))
    pick = rng.random()
    if pick < 0.4:  # a band across the width
        radius, ratio, flat = (
            float(rng.uniform(11.0, 15.0)),
            _log_uniform(rng, 2.5, 5.0),
            float(rng.uniform(0.4, 0.6)),
        )
        return tuple(
            Spot(part, 0.0, v * float(rng.uniform(0.5, 0.7)), radius, ratio, flat) for part, v in facing
        )
    sides = [-1.0, 1.0] if pick < 0.6 else [float(rng.choice([-1.0, 1.0]))]
    radius, ratio = float(rng.uniform(7.0, 10.0)), _log_uniform(rng, 3.0, 8.0)
    return tuple(
        Spot(
            part, side * float(rng.uniform(0.35, 0.6)), v * float(rng.uniform(0.45, 0.65)), radius, ratio, 0.7
        )
        for side in sides
        for part, v in facing
    )


def spondylosis_share(age_years: float) -> float:
    """Share of patients of ``age_years`` with visible spondylosis besides their other findings.

    Rising by 1.5% a year from 45 to at most a half: degenerative uptake in the lower spine is common
    on the bone scans of older patients, with or without metastases.
    """
    return float(np.clip(0.015 * (age_years - 45.0), 0.0, 0.5))


def joint_degeneration_share(age_years: float) -> float:
    """Share of patients of ``age_years`` with degenerative joint uptake besides their other findings.

    Rising by 2% a year from 45 to at most 0.6: uptake at the knees, shoulders and hands of older
    patients is among the commonest things on a bone scan, with or without metastases.
    """
    return float(np.clip(0.02 * (age_years - 45.0), 0.0, 0.6))


#: Where age-related joint degeneration shows besides a patient's other findings, with its weights.
_AGE_RELATED_JOINTS = {"knee": 0.55, "shoulder": 0.2, "first_cmc": 0.15, "ankle": 0.1}


def sample_joint_degeneration(body: Body, rng: np.random.Generator) -> list[Finding]:
    """Degenerative uptake at one joint of the limbs, on both sides in 65%: knees most often.

    The spine's degenerative uptake is :func:`sample_spondylosis`.
    """
    names = list(_AGE_RELATED_JOINTS)
    weights = np.array(list(_AGE_RELATED_JOINTS.values()))
    return _degenerative(body, rng, str(rng.choice(names, p=weights / weights.sum())))


def _degenerative(body: Body, rng: np.random.Generator, site: str | None = None) -> list[Finding]:
    if site is None:
        site = str(
            rng.choice(
                ["knee", "shoulder", "lumbar_facets", "first_cmc", "ankle"], p=[0.4, 0.25, 0.2, 0.1, 0.05]
            )
        )
    hosts: list[tuple[int, float]] = []
    sides = ["left", "right"] if rng.random() < 0.65 else [str(rng.choice(["left", "right"]))]
    for side in sides:
        if site == "knee":
            name = "femoral_condyles" if rng.random() < 0.5 else "tibial_plateau"
            region = f"femur_distal_{side}" if name == "femoral_condyles" else f"tibia_fibula_{side}"
            hosts.append((parts(body, region, name)[0], 0.5 if name == "femoral_condyles" else -0.5))
        elif site == "shoulder":
            hosts.append((parts(body, f"scapula_{side}", "glenoid")[0], 0.0))
        elif site == "first_cmc":
            hosts.append((parts(body, f"hand_{side}", "carpus")[0], 0.5))
        elif site == "ankle":
            hosts.append((parts(body, f"tibia_fibula_{side}", "distal_tibia")[0], 0.5))
    if site == "lumbar_facets":
        level = str(rng.choice(["L4", "L5"]))
        arch = parts(body, "lumbar_spine", f"arch_{level}")[0]
        spots = [
            Spot(arch, u, 0.0, float(rng.uniform(6.0, 9.0)), float(rng.uniform(1.6, 2.8))) for u in (0.1, 0.9)
        ]
        return [
            Finding(
                0,
                "degenerative",
                f"facet joint arthropathy {level}",
                False,
                "lumbar_spine",
                spots=tuple(spots),
            )
        ]
    return [
        Finding(
            0,
            "degenerative",
            f"degenerative joint disease ({site})",
            False,
            body.bones[i].region,
            spots=(_joint_spot(body, i, rng, v),),
        )
        for i, v in hosts
    ]


def _fracture(body: Body, rng: np.random.Generator) -> list[Finding]:
    pick = rng.random()
    if pick < 0.55:
        side = str(rng.choice(["left", "right"]))
        first = int(rng.integers(3, 9))
        count = int(rng.integers(1, 5))  # 1-4 ribs: a fracture of one rib alone is common
        segment = int(rng.integers(1, 5))
        cause = "trauma: aligned rib fractures" if count > 1 else "trauma: rib fracture"
        found = []
        for rib in range(first, min(first + count, 12)):
            host = parts(body, f"ribs_{side}", f"rib_{rib}")[segment]
            spot = Spot(
                host,
                float(rng.uniform(0.35, 0.65)),
                0.0,
                float(rng.uniform(5.0, 7.0)),
                float(rng.uniform(3.0, 7.0)),
            )
            found.append(Finding(0, "fracture", cause, False, f"ribs_{side}", spots=(spot,)))
        return found
    if pick < 0.85:
        level = str(rng.choice(["T11", "T12", "L1", "L2", "L3", "T8"]))
        host = parts(body, name=f"vertebra_{level}")[0]
        radius = body.bones[host].size_mm * 3.0
        spot = Spot(host, 0.0, 0.0, radius, float(rng.uniform(2.0, 4.0)), elongation=0.3)
        return [
            Finding(
                0,
                "fracture",
                f"osteoporotic compression fracture {level}",
                False,
                body.bones[host].region,
                spots=(spot,),
            )
        ]
    side = str(rng.choice(["left", "right"]))
    host = parts(body, f"pelvis_{side}", "pubic_rami")[0]
    spot = Spot(host, float(rng.uniform(0.3, 0.7)), 0.0, 7.0, float(rng.uniform(2.5, 5.0)))
    return [
        Finding(
            0, "fracture", "insufficiency fracture of the pubic ramus", False, f"pelvis_{side}", spots=(spot,)
        )
    ]


def _paget(body: Body, rng: np.random.Generator) -> list[Finding]:
    side = str(rng.choice(["left", "right"]))
    choice = str(
        rng.choice(
            ["pelvis", "vertebra", "femur", "tibia", "skull", "humerus"], p=[0.3, 0.2, 0.15, 0.15, 0.12, 0.08]
        )
    )
    if choice == "vertebra":
        level = str(rng.choice(["L3", "L4", "L5", "T10", "T12"]))
        hosts = [i for i, s in enumerate(body.bones) if s.name.endswith(f"_{level}")]
    elif choice == "skull":
        hosts = parts(body, "skull", "cranium_front") + parts(body, "skull", "cranium_back")
    else:
        region = {
            "pelvis": f"pelvis_{side}",
            "femur": f"femur_proximal_{side}",
            "tibia": f"tibia_fibula_{side}",
            "humerus": f"humerus_proximal_{side}",
        }[choice]
        hosts = [i for i in parts(body, region) if not body.bones[i].name.startswith("fibula")]
    ratio = float(rng.uniform(2.2, 4.5))
    region_name = body.bones[hosts[0]].region
    return [
        Finding(
            0,
            "paget",
            "Paget's disease of bone",
            False,
            region_name,
            parts=tuple(PartChange(i, ratio) for i in hosts),
        )
    ]


def _osteomyelitis(body: Body, rng: np.random.Generator) -> list[Finding]:
    side = str(rng.choice(["left", "right"]))
    if rng.random() < 0.6:
        host = _pick_part(body, parts(body, f"foot_{side}"), rng)
        cause = "osteomyelitis (diabetic foot)"
    else:
        host = parts(body, f"tibia_fibula_{side}", "tibial_shaft")[0]
        cause = "osteomyelitis of the tibia"
    u, v = _position(body.bones[host], rng)
    spot = Spot(host, u, v, float(rng.uniform(8.0, 13.0)), float(rng.uniform(3.0, 6.0)))
    halo = SoftSpot(host, u, v, 0.0, 0.0, float(rng.uniform(15.0, 25.0)), float(rng.uniform(3e-4, 1e-3)), 0.5)
    return [Finding(0, "osteomyelitis", cause, False, body.bones[host].region, spots=(spot,), soft=(halo,))]


def _prosthesis(body: Body, rng: np.random.Generator) -> list[Finding]:
    side = str(rng.choice(["left", "right"]))
    region = f"femur_proximal_{side}"
    head = parts(body, region, "femoral_head")[0]
    neck = parts(body, region, "femoral_neck")[0]
    shaft = parts(body, region, "femoral_shaft")[0]
    trochanter = parts(body, region, "greater_trochanter")[0]
    cup = parts(body, f"pelvis_{side}", "acetabulum")[0]
    loose = rng.random() < 0.4
    rim = float(rng.uniform(2.5, 4.5) if loose else rng.uniform(1.3, 2.0))
    shaft_radius = body.bones[shaft].size_mm
    spots = (
        Spot(shaft, 0.45, 0.0, shaft_radius * 3.0, 0.0),
        Spot(shaft, 0.8, 0.0, shaft_radius * 1.6, rim),
        Spot(trochanter, 0.0, 0.0, 12.0, float(rng.uniform(1.3, 2.0))),
        Spot(cup, float(rng.uniform(-0.3, 0.3)), -0.6, 10.0, rim),
    )
    metal = (
        MetalPiece(shaft, 0.0, 0.75, 0.55 * shaft_radius),
        MetalPiece(neck, 0.0, 1.0, 0.7 * body.bones[neck].size_mm),
        MetalPiece(head, 0.0, 0.0, 0.95 * body.bones[head].size_mm),
    )
    cause = "hip arthroplasty with " + ("loosening" if loose else "normal periprosthetic remodelling")
    return [
        Finding(
            0,
            "prosthesis",
            cause,
            False,
            region,
            spots=spots,
            parts=(PartChange(head, 0.0), PartChange(neck, 0.0)),
            metal=metal,
        )
    ]


def _urine(body: Body, rng: np.random.Generator) -> list[Finding]:
    side = str(rng.choice(["left", "right"]))
    host = parts(body, f"femur_proximal_{side}", "femoral_shaft")[0]
    outside = rng.random() < 0.35
    soft = SoftSpot(
        host,
        float(rng.uniform(0.0, 1.0)),
        0.0,
        float(rng.uniform(-40.0, 40.0)) + (120.0 if outside else 0.0) * (1.0 if side == "left" else -1.0),
        float(rng.uniform(-30.0, 60.0)),
        float(rng.uniform(5.0, 22.0)),
        float(rng.uniform(1e-3, 8e-3)),
        -0.05 if rng.random() < 0.7 else 1.05,
    )
    where = "on clothing beside the thigh" if outside else "on the skin of the thigh or groin"
    return [
        Finding(0, "urine_contamination", f"urine contamination {where}", False, "soft_tissue", soft=(soft,))
    ]


def _injection(body: Body, rng: np.random.Generator) -> list[Finding]:
    side = str(rng.choice(["left", "right"]))
    if rng.random() < 0.6:
        host, u, v, where = (
            parts(body, f"humerus_distal_{side}", "humeral_condyles")[0],
            0.0,
            0.0,
            "antecubital fossa",
        )
    else:
        host, u, v, where = parts(body, f"hand_{side}", "carpus")[0], 0.0, 0.5, "back of the hand"
    spots = [
        SoftSpot(host, u, v, 0.0, 0.0, float(rng.uniform(6.0, 18.0)), float(rng.uniform(5e-4, 1e-2)), 0.3)
    ]
    if rng.random() < 0.3:
        head = parts(body, f"humerus_proximal_{side}", "humeral_head")[0]
        sign = 1.0 if side == "left" else -1.0
        spots.append(SoftSpot(head, 0.0, 0.0, -sign * 25.0, 45.0, 6.0, float(rng.uniform(1e-4, 5e-4)), 0.4))
    return [
        Finding(
            0, "injection_site", f"paravenous injection ({where})", False, "soft_tissue", soft=tuple(spots)
        )
    ]


_BENIGN: dict[str, Callable[[Body, np.random.Generator], list[Finding]]] = {
    "degenerative": _degenerative,
    "spondylosis": sample_spondylosis,
    "fracture": _fracture,
    "paget": _paget,
    "osteomyelitis": _osteomyelitis,
    "prosthesis": _prosthesis,
    "urine_contamination": _urine,
    "injection_site": _injection,
}


def sample_benign(body: Body, rng: np.random.Generator, count: int) -> list[Finding]:
    """Draw ``count`` different kinds of benign look-alike (each may give several findings)."""
    probabilities = np.array(_BENIGN_WEIGHTS) / sum(_BENIGN_WEIGHTS)
    kinds = rng.choice(BENIGN_KINDS, size=min(count, len(BENIGN_KINDS)), replace=False, p=probabilities)
    found: list[Finding] = []
    for kind in kinds:
        group = len(found) + 1
        made = _BENIGN[str(kind)](body, rng)
        found.extend(replace(f, group=group) if len(made) > 1 else f for f in made)
    return found


def sample_kind(body: Body, rng: np.random.Generator, kind: str) -> list[Finding]:
    """Draw findings of one ``kind``: a benign kind, ``super_scan``, or a primary cancer's metastases."""
    if kind in _BENIGN:
        return _BENIGN[kind](body, rng)
    if kind == "super_scan":
        return _super_scan(body, rng, "prostate")
    return sample_malignant(body, rng, kind)


def number(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """Give ``findings`` ids 1, 2, ... (and the same lineage)."""
    return tuple(replace(f, id=i + 1, lineage=i + 1) for i, f in enumerate(findings))
