"""Ground truth of a simulated scan: the truth JSON, the true BSI and the label and finding maps.

True Bone Scan Index
--------------------
``BSI = 100 * sum over bone regions r of m_r * min(1, V_tumour(r) / V_bone(r))`` where ``m_r`` is the
region's share of skeletal mass (:func:`bonescan.regions.mass_fraction`), ``V_bone(r)`` the bone
volume of the region in the phantom and ``V_tumour(r)`` the volume of that bone occupied by malignant
findings (metastases, lytic metastases, myeloma; a super scan contributes its drawn fraction of
each axial region). It is a *volume* truth, the quantity an image-based BSI tries to estimate.
``bsi_hot`` counts only the findings that show as increased uptake (what hotspot-based BSI can see).

Maps
----
Per view, in that view's own grid (posterior not mirrored): ``labels_<view>`` (uint8, region registry
labels), ``findings_<view>`` (uint16, the id of the finding contributing most to each pixel, 0 for
none) and, for each finding, its own mask ``mask_<id>_<view>`` (bool, cropped to the finding's
``bbox``). They are stored in a ``.npz`` archive written with fixed timestamps so that the same seed
gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bonescan.regions import mass_fraction
from bonescan.simulate.findings import Finding
from bonescan.simulate.scan import SimulatedScan

__all__ = ["BSI_DEFINITION", "bsi", "finding_truth", "write_maps"]

BSI_DEFINITION = (
    "100 * sum over bone regions r of mass_fraction(r) * min(1, V_tumour(r) / V_bone(r)); "
    "V_tumour: phantom bone volume occupied by malignant findings (super scan: drawn fraction "
    "of each axial region); mass_fraction from bonescan.regions"
)
VIEWS = ("anterior", "posterior")


def bsi(
    findings: tuple[Finding, ...], scan: SimulatedScan, *, hot_only: bool = False
) -> tuple[float, dict[str, float]]:
    """Return the true BSI and each region's involved fraction (see the module notes).

    Parameters
    ----------
    findings : tuple of Finding
        The acquisition's findings (resolved ones, id 0, do not count).
    scan : SimulatedScan
        The simulated acquisition, whose scene holds the volumes.
    hot_only : bool
        Count only findings that show as increased uptake.

    Returns
    -------
    tuple of float and dict
        The BSI (percent of skeletal mass) and the involved fraction of each region, capped at 1.
    """
    involved: dict[str, float] = {}
    for finding in findings:
        if not finding.malignant or finding.id == 0 or (hot_only and not finding.hot):
            continue
        for region_name, fraction in finding.involvement.items():
            involved[region_name] = involved.get(region_name, 0.0) + fraction
        for region_name, volume in scan.scene.finding_volume_ml.get(finding.id, {}).items():
            total = scan.scene.region_volume_ml.get(region_name, 0.0)
            if total > 0:
                involved[region_name] = involved.get(region_name, 0.0) + volume / total
    fractions = {name: min(1.0, value) for name, value in sorted(involved.items())}
    value = 100.0 * sum(mass_fraction(name) * f for name, f in fractions.items())
    return value, fractions


def _view_truth(scan: SimulatedScan, finding_id: int, view: int) -> dict[str, Any] | None:
    masks = scan.finding_masks.get(finding_id)
    if masks is None or not masks[view].any():
        return None
    mask = masks[view]
    rows, cols = np.nonzero(mask)
    spacing = scan.body.frame.spacing_mm
    with_f = float(scan.expected[view][mask].mean())
    without = float(scan.expected_without[view][mask].mean())
    area = int(mask.sum())
    return {
        "centre": [round(float(rows.mean()), 2), round(float(cols.mean()), 2)],
        "bbox": [int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())],
        "area_px": area,
        "equivalent_diameter_mm": round(2.0 * float(np.sqrt(area / np.pi)) * spacing, 2),
        "contrast": round(with_f / without, 4) if without > 0 else None,
    }


def finding_truth(finding: Finding, scan: SimulatedScan, uptake_factor: float) -> dict[str, Any]:
    """Return the truth of one finding (views are None for a resolved or diffuse finding)."""
    drawn = finding.id != 0 and not finding.diffuse
    record: dict[str, Any] = {
        "id": finding.id,
        "lineage": finding.lineage,
        "kind": finding.kind,
        "cause": finding.cause,
        "malignant": finding.malignant,
        "polarity": finding.polarity,
        "region": finding.region,
        "regions": sorted(
            {scan.body.bones[s.host].region for s in finding.spots}
            | {scan.body.bones[p.host].region for p in finding.parts}
            | set(finding.diffuse)
        )
        or [finding.region],
        "status": finding.status,
        "group": finding.group,
        "uptake_ratio": [round(_ratio(s.ratio, uptake_factor), 3) for s in finding.spots]
        + [round(_ratio(p.ratio, uptake_factor), 3) for p in finding.parts],
        "radius_mm": [round(s.radius_mm, 2) for s in finding.spots],
        "volume_ml": {
            k: round(v, 4) for k, v in sorted(scan.scene.finding_volume_ml.get(finding.id, {}).items())
        }
        if drawn
        else {},
        "views": {
            name: (_view_truth(scan, finding.id, i) if drawn else None) for i, name in enumerate(VIEWS)
        },
    }
    if finding.diffuse:
        record["diffuse_uptake"] = {k: round(v, 3) for k, v in sorted(finding.diffuse.items())}
        record["involvement"] = {k: round(v, 3) for k, v in sorted(finding.involvement.items())}
    if finding.soft:
        record["activity_fraction"] = round(sum(s.fraction for s in finding.soft), 6)
    return record


def _ratio(ratio: float, factor: float) -> float:
    return 1.0 + (ratio - 1.0) * factor if ratio > 1.0 else ratio


def _npy_bytes(array: NDArray[np.generic]) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def write_maps(path: Path, scan: SimulatedScan) -> None:
    """Write the label and finding maps of both views to ``path`` (a reproducible ``.npz``).

    Besides the label and finding maps, each finding's own mask is stored cropped to its bounding box
    as ``mask_<id>_<view>`` (place it at ``bbox`` row0, col0 of the truth).
    """
    arrays = {}
    for i, view in enumerate(VIEWS):
        arrays[f"labels_{view}"] = scan.labels[i]
        arrays[f"findings_{view}"] = scan.finding_map[i]
    for finding_id, masks in sorted(scan.finding_masks.items()):
        for i, view in enumerate(VIEWS):
            rows, cols = np.nonzero(masks[i])
            if rows.size:
                crop = masks[i][rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
                arrays[f"mask_{finding_id:03d}_{view}"] = crop
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, _npy_bytes(array))
