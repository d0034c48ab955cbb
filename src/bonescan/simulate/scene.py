"""Turning a placed body, its tracer distribution and its findings into emitters.

Bone concentration is shared out so that the bone parts together hold the bone-bound fraction of the
injected activity: part ``i`` gets ``c_i = c * w_i`` with ``w_i`` its relative uptake (times the
age-related joint factor, the patient's vault and face factors, and a super scan's regional factor)
and ``c`` fixed by ``sum(c_i * integral of t over part i) = B(t)``, where ``t`` is the patient's bone
texture (about 1, see :mod:`bonescan.simulate.texture`). A focal finding multiplies the local
uptake, texture included, by its ratio. Organs and soft tissue likewise hold their compartments'
fractions; the soft tissue's share is spread over the body, fat holding less than lean tissue, with
the patient's smooth muscle/fat variation, and the heart, great vessels and liver hold a small excess
over it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bonescan.regions import region
from bonescan.simulate.anatomy import Source
from bonescan.simulate.findings import Finding, Spot, ball_within, locate, spot_ball
from bonescan.simulate.geometry import Capsule, Ellipsoid, Raster
from bonescan.simulate.patient import Patient
from bonescan.simulate.phantom import Body
from bonescan.simulate.physics import Kinetics, lesion_time_factor
from bonescan.simulate.render import Emitter, Metal
from bonescan.simulate.texture import Textures, patient_textures

__all__ = ["LYTIC_KINDS", "PART_VARIATION", "Scene", "build_scene"]

#: Log-normal spread of a patient's uptake from bone part to bone part (left and right differ too).
PART_VARIATION = 0.1
#: Findings that destroy bone: their uptake ratio holds in every bone part within their sphere.
LYTIC_KINDS = frozenset({"lytic_metastasis", "myeloma"})


@dataclass(frozen=True)
class Scene:
    """Everything to project, and the volumes the truth needs.

    Attributes
    ----------
    emitters : list of Emitter
        Bones, organs and findings.
    metals : tuple of Metal
        Prosthesis components.
    soft_concentration : float
        Soft-tissue activity per mm^3.
    region_volume_ml : dict of str to float
        Bone volume of each bone region (ml).
    finding_volume_ml : dict of int to dict of str to float
        For each finding, the volume of bone it involves in each region (ml).
    bone_concentration : list of float
        Normal concentration of each bone part (per mm^3) where the bone texture is 1.
    soft_field : ndarray of float32
        Relative soft-tissue concentration along each pixel's path (the soft tissue there holds
        ``soft_concentration * soft_field`` per mm^3 on average): lean tissue and fat, times the
        patient's muscle/fat variation.
    """

    emitters: list[Emitter]
    metals: tuple[Metal, ...]
    soft_concentration: float
    region_volume_ml: dict[str, float]
    finding_volume_ml: dict[int, dict[str, float]]
    bone_concentration: list[float]
    soft_field: NDArray[np.float32]


def _patient_factor(source: Source, patient: Patient) -> float:
    """Return the patient's own factor on a bone part: age-related joint uptake, vault and face."""
    factor = patient.joint_uptake if source.joint else 1.0
    if source.name.startswith("cranium"):
        factor *= patient.vault_uptake
    if source.region == "facial_mandible":
        factor *= patient.face_uptake
    return factor


def _bone_weights(body: Body, findings: tuple[Finding, ...], patient: Patient) -> list[float]:
    diffuse: dict[str, float] = {}
    for finding in findings:
        diffuse.update(finding.diffuse)
    own = np.exp(np.random.default_rng(patient.uptake_seed).normal(0.0, PART_VARIATION, len(body.bones)))
    return [
        source.uptake * _patient_factor(source, patient) * diffuse.get(source.region, 1.0) * float(v)
        for source, v in zip(body.bones, own, strict=True)
    ]


def _bones(
    body: Body,
    rasters: list[Raster | None],
    weights: list[float],
    bone_fraction: float,
    textures: Textures,
) -> tuple[list[Emitter], list[float], dict[str, float]]:
    area = body.frame.spacing_mm**2
    volumes = [r.volume_mm3_per_px * area if r is not None else 0.0 for r in rasters]
    maps = [
        textures.for_part(source, r.slices) if r is not None else None
        for source, r in zip(body.bones, rasters, strict=True)
    ]
    textured = [
        float((r.chord * t).sum(dtype=np.float64)) * area if r is not None and t is not None else 0.0
        for r, t in zip(rasters, maps, strict=True)
    ]
    scale = bone_fraction / max(sum(w * v for w, v in zip(weights, textured, strict=True)), 1e-9)
    emitters, region_volume = [], dict[str, float]()
    for source, raster, weight, volume, texture in zip(
        body.bones, rasters, weights, volumes, maps, strict=True
    ):
        region_volume[source.region] = region_volume.get(source.region, 0.0) + volume / 1000.0
        if raster is None:
            continue
        emitters.append(
            Emitter(
                raster,
                scale * weight,
                source.depth_ant,
                source.depth_post,
                region(source.region).label,
                source.uptake,
                weight=texture,
            )
        )
    return emitters, [scale * w for w in weights], region_volume


def _organs(body: Body, kinetics: Kinetics, area: float) -> list[Emitter]:
    emitters = []
    for name, fraction in (("kidney", kinetics.kidneys), ("bladder", kinetics.bladder)):
        parts = [(s, s.raster(body.shape)) for s in body.organs if s.name.startswith(name)]
        total = sum(s.uptake * r.volume_mm3_per_px * area for s, r in parts if r is not None)
        for source, raster in parts:
            if raster is None:
                continue
            emitters.append(
                Emitter(
                    raster,
                    fraction * source.uptake / max(total, 1e-9),
                    source.depth_ant,
                    source.depth_post,
                    region(source.region).label,
                    0.35 if name == "kidney" else 0.8,
                )
            )
    return emitters


def _spot_emitters(
    finding: Finding,
    body: Body,
    rasters: list[Raster | None],
    conc: list[float],
    uptake_h: float,
    textures: Textures,
) -> tuple[list[Emitter], dict[str, float]]:
    emitters, volume = [], dict[str, float]()
    spacing = body.frame.spacing_mm
    area = spacing * spacing
    for spot in finding.spots:
        for index, raster in _spot_rasters(spot, body, rasters, every_part=finding.kind in LYTIC_KINDS):
            bone = body.bones[index]
            excess = conc[index] * (_effective_ratio(spot.ratio, uptake_h) - 1.0)
            texture = textures.for_part(bone, raster.slices)
            ant, post = bone.depth_ant, bone.depth_post
            emitters.append(Emitter(raster, excess, ant, post, finding=finding.id, weight=texture))
            volume[bone.region] = volume.get(bone.region, 0.0) + raster.volume_mm3_per_px * area / 1000.0
    for part in finding.parts:
        host, host_raster = body.bones[part.host], rasters[part.host]
        if host_raster is None:
            continue
        excess = conc[part.host] * (_effective_ratio(part.ratio, uptake_h) - 1.0)
        texture = textures.for_part(host, host_raster.slices)
        ant, post = host.depth_ant, host.depth_post
        emitters.append(Emitter(host_raster, excess, ant, post, finding=finding.id, weight=texture))
        volume[host.region] = volume.get(host.region, 0.0) + host_raster.volume_mm3_per_px * area / 1000.0
    return emitters, volume


def _spot_rasters(
    spot: Spot, body: Body, rasters: list[Raster | None], every_part: bool
) -> list[tuple[int, Raster]]:
    """Return the bone parts a spot's ball acts on, each with the chord map of the overlap.

    Its host first (none at all when the ball misses the host); with ``every_part`` (a lytic lesion,
    which destroys the bone within it), every other part it reaches too. In the planar grid each part
    has one depth (its centre's): a part is reached where its chord overlaps the ball's disc and its
    centre lies within the ball's half-depth plus half the part's thickness of the host's depth (the
    two walls of the skull, or a rib in front of a vertebra, are not).
    """
    host, host_raster = body.bones[spot.host], rasters[spot.host]
    if host_raster is None:
        return []
    ball = spot_ball(spot, host, body.frame.spacing_mm, body.shape)
    own = None if ball is None else ball_within(ball, host_raster)
    if ball is None or own is None:
        return []
    reached = [(spot.host, own)]
    if not every_part:
        return reached
    half_depth = spot.radius_mm * spot.elongation**0.5
    for index, (part, part_raster) in enumerate(zip(body.bones, rasters, strict=True)):
        if index == spot.host or part_raster is None:
            continue
        if abs(part.depth_ant - host.depth_ant) > half_depth + 0.5 * float(part_raster.chord.max()):
            continue
        raster = ball_within(ball, part_raster)
        if raster is not None and raster.chord.any():
            reached.append((index, raster))
    return reached


def _effective_ratio(ratio: float, uptake_h: float) -> float:
    return 1.0 + (ratio - 1.0) * lesion_time_factor(uptake_h) if ratio > 1.0 else ratio


def _soft_emitters(finding: Finding, body: Body) -> list[Emitter]:
    emitters = []
    spacing = body.frame.spacing_mm
    for soft in finding.soft:
        host = body.bones[soft.host]
        (row, col), _, _ = locate(host.primitive, soft.u, soft.v)
        centre = (row + soft.dy_mm / spacing, col + soft.dx_mm / spacing)
        radius = soft.radius_mm / spacing
        raster = Ellipsoid(centre, radius, radius, soft.radius_mm).raster(body.shape)
        if raster is None:
            continue
        volume = raster.volume_mm3_per_px * spacing * spacing
        total = 0.0 if soft.outside else host.depth_ant + host.depth_post
        emitters.append(
            Emitter(
                raster,
                soft.fraction / max(volume, 1e-9),
                soft.depth * total,
                (1 - soft.depth) * total,
                finding=finding.id,
            )
        )
    return emitters


def _metals(finding: Finding, body: Body) -> list[Metal]:
    metals = []
    spacing = body.frame.spacing_mm
    for piece in finding.metal:
        host = body.bones[piece.host]
        (ra, ca), _, _ = locate(host.primitive, piece.u0, 0.0)
        (rb, cb), _, _ = locate(host.primitive, piece.u1, 0.0)
        radius = piece.radius_mm / spacing
        solid = Capsule((ra, ca), (rb, cb), radius, radius * 0.8, piece.radius_mm, piece.radius_mm * 0.8)
        raster = solid.raster(body.shape)
        if raster is not None:
            metals.append(Metal(raster, piece.mu_per_mm, host.depth_ant, host.depth_post))
    return metals


def _pools(body: Body, soft: float) -> list[Emitter]:
    """Return the blood pool and liver: ``soft`` times each one's excess over the soft-tissue level."""
    emitters = []
    for source in body.pools:
        raster = source.raster(body.shape)
        if raster is not None:
            emitters.append(Emitter(raster, soft * source.uptake, source.depth_ant, source.depth_post))
    return emitters


def _soft_relative(body: Body, patient: Patient, field: NDArray[np.float32]) -> NDArray[np.float32]:
    """Return the relative soft-tissue concentration along each pixel's path.

    Lean tissue counts 1 and fat the patient's ``fat_uptake``; the patient's smooth muscle/fat
    variation multiplies both.
    """
    thickness = body.thickness
    fat = np.float32(patient.fat_uptake)
    weighted = body.lean_thickness + fat * (thickness - body.lean_thickness)
    mix = np.divide(weighted, thickness, out=np.ones_like(thickness), where=thickness > 0)
    relative: NDArray[np.float32] = mix * field
    return relative


def _soft_concentration(body: Body, kinetics: Kinetics, field: NDArray[np.float32]) -> float:
    """Return the soft-tissue concentration where the soft-tissue field is 1.

    The soft tissue, the blood pool and the liver together hold the soft-tissue compartment's fraction
    of the injected activity.
    """
    area = body.frame.spacing_mm**2
    volume = float((body.thickness * field).sum(dtype=np.float64)) * area
    for source in body.pools:
        raster = source.raster(body.shape)
        if raster is not None:
            volume += source.uptake * raster.volume_mm3_per_px * area
    return kinetics.soft_tissue / max(volume, 1e-9)


def build_scene(
    body: Body,
    kinetics: Kinetics,
    findings: tuple[Finding, ...],
    patient: Patient,
    uptake_h: float,
) -> Scene:
    """Return the emitters, metal and volumes of one acquisition.

    Parameters
    ----------
    body : Body
        The placed body.
    kinetics : Kinetics
        Compartment fractions at the scan.
    findings : tuple of Finding
        Findings to draw (none resolved).
    patient : Patient
        For the joint and part-to-part uptake factors and the patient's textures.
    uptake_h : float
        Uptake interval, for the lesions' time factor.
    """
    area = body.frame.spacing_mm**2
    textures = patient_textures(patient, body.frame, body.bones)
    rasters = [source.raster(body.shape) for source in body.bones]
    weights = _bone_weights(body, findings, patient)
    emitters, conc, region_volume = _bones(body, rasters, weights, kinetics.bone, textures)
    emitters.extend(_organs(body, kinetics, area))
    relative = _soft_relative(body, patient, textures.soft)
    soft = _soft_concentration(body, kinetics, relative)
    emitters.extend(_pools(body, soft))
    finding_volume: dict[int, dict[str, float]] = {}
    metals: list[Metal] = []
    for finding in findings:
        spots, volume = _spot_emitters(finding, body, rasters, conc, uptake_h, textures)
        emitters.extend(spots)
        emitters.extend(_soft_emitters(finding, body))
        metals.extend(_metals(finding, body))
        finding_volume[finding.id] = volume
    return Scene(emitters, tuple(metals), soft, region_volume, finding_volume, conc, relative)
