"""Turning a placed body, its tracer distribution and its findings into emitters.

Bone concentration is shared out so that the bone parts together hold the bone-bound fraction of the
injected activity: part ``i`` gets ``c_i = c * w_i`` with ``w_i`` its relative uptake (times the
age-related joint factor, times a super scan's regional factor) and ``c`` fixed by
``sum(c_i * V_i) = B(t)``. Organs and soft tissue likewise hold their compartments' fractions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bonescan.regions import region
from bonescan.simulate.findings import Finding, locate, spot_raster
from bonescan.simulate.geometry import Capsule, Ellipsoid, Raster
from bonescan.simulate.patient import Patient
from bonescan.simulate.phantom import Body
from bonescan.simulate.physics import Kinetics, lesion_time_factor
from bonescan.simulate.render import Emitter, Metal

__all__ = ["PART_VARIATION", "Scene", "build_scene"]

#: Log-normal spread of a patient's uptake from bone part to bone part (left and right differ too).
PART_VARIATION = 0.1


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
        Normal concentration of each bone part (per mm^3).
    """

    emitters: list[Emitter]
    metals: tuple[Metal, ...]
    soft_concentration: float
    region_volume_ml: dict[str, float]
    finding_volume_ml: dict[int, dict[str, float]]
    bone_concentration: list[float]


def _bone_weights(body: Body, findings: tuple[Finding, ...], patient: Patient) -> list[float]:
    diffuse: dict[str, float] = {}
    for finding in findings:
        diffuse.update(finding.diffuse)
    own = np.exp(np.random.default_rng(patient.uptake_seed).normal(0.0, PART_VARIATION, len(body.bones)))
    return [
        source.uptake
        * (patient.joint_uptake if source.joint else 1.0)
        * diffuse.get(source.region, 1.0)
        * float(v)
        for source, v in zip(body.bones, own, strict=True)
    ]


def _bones(
    body: Body, rasters: list[Raster | None], weights: list[float], bone_fraction: float, area: float
) -> tuple[list[Emitter], list[float], dict[str, float]]:
    volumes = [r.volume_mm3_per_px * area if r is not None else 0.0 for r in rasters]
    scale = bone_fraction / max(sum(w * v for w, v in zip(weights, volumes, strict=True)), 1e-9)
    emitters, region_volume = [], dict[str, float]()
    for source, raster, weight, volume in zip(body.bones, rasters, weights, volumes, strict=True):
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
    finding: Finding, body: Body, rasters: list[Raster | None], conc: list[float], uptake_h: float
) -> tuple[list[Emitter], dict[str, float]]:
    emitters, volume = [], dict[str, float]()
    spacing = body.frame.spacing_mm
    area = spacing * spacing
    for spot in finding.spots:
        host, host_raster = body.bones[spot.host], rasters[spot.host]
        if host_raster is None:
            continue
        raster = spot_raster(spot, host, host_raster, spacing, body.shape)
        if raster is None:
            continue
        ratio = _effective_ratio(spot.ratio, uptake_h)
        ant, post = host.depth_ant, host.depth_post
        emitters.append(Emitter(raster, conc[spot.host] * (ratio - 1.0), ant, post, finding=finding.id))
        volume[host.region] = volume.get(host.region, 0.0) + raster.volume_mm3_per_px * area / 1000.0
    for part in finding.parts:
        host, host_raster = body.bones[part.host], rasters[part.host]
        if host_raster is None:
            continue
        ratio = _effective_ratio(part.ratio, uptake_h)
        emitters.append(
            Emitter(
                host_raster,
                conc[part.host] * (ratio - 1.0),
                host.depth_ant,
                host.depth_post,
                finding=finding.id,
            )
        )
        volume[host.region] = volume.get(host.region, 0.0) + host_raster.volume_mm3_per_px * area / 1000.0
    return emitters, volume


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
        total = host.depth_ant + host.depth_post
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
        For the joint and part-to-part uptake factors.
    uptake_h : float
        Uptake interval, for the lesions' time factor.
    """
    area = body.frame.spacing_mm**2
    rasters = [source.raster(body.shape) for source in body.bones]
    weights = _bone_weights(body, findings, patient)
    emitters, conc, region_volume = _bones(body, rasters, weights, kinetics.bone, area)
    emitters.extend(_organs(body, kinetics, area))
    finding_volume: dict[int, dict[str, float]] = {}
    metals: list[Metal] = []
    for finding in findings:
        spots, volume = _spot_emitters(finding, body, rasters, conc, uptake_h)
        emitters.extend(spots)
        emitters.extend(_soft_emitters(finding, body))
        metals.extend(_metals(finding, body))
        finding_volume[finding.id] = volume
    body_volume = float(body.thickness.sum(dtype=np.float64)) * area
    soft = kinetics.soft_tissue / max(body_volume, 1e-9)
    return Scene(emitters, tuple(metals), soft, region_volume, finding_volume, conc)
