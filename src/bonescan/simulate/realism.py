"""Measuring how close simulated scans come to a real one, and drawing them side by side.

``python -m bonescan.simulate.realism --real NM1_UNC.dcm --out docs/images`` simulates a few
patients without findings, measures them and the real scan the same way and writes inverted-grey PNG
pictures. Measures (no labels needed, so they apply to the real scan too):

* total counts and the hottest pixel;
* body length (rows whose sum exceeds 2% of the largest row sum) in millimetres;
* at the distal thigh (61-66% of the body length from the top, below the hands), for each leg: the
  profile across the femoral shaft averaged over those rows. The **bone-to-soft-tissue ratio** is its
  peak over the median of the thigh more than 2.5 cm from the peak; the **femur profile FWHM** is the
  full width at half of the peak's excess over that background: the bone's width blurred by the
  camera, so it compares resolution and bone size together.
"""

from __future__ import annotations

import argparse
import logging
import math
import struct
import zlib
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pydicom
from numpy.typing import NDArray
from scipy import ndimage

from bonescan.simulate.evolve import evolve, renumber
from bonescan.simulate.findings import Finding
from bonescan.simulate.patient import sample_acquisition, sample_patient
from bonescan.simulate.phantom import build_body
from bonescan.simulate.sampling import sample_kind
from bonescan.simulate.scan import simulate_scan
from bonescan.simulate.truth import bsi

__all__ = ["Measures", "inverted_grey", "measure", "write_png"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Measures:
    """What :func:`measure` finds in one view."""

    total_counts: float
    max_pixel: float
    body_length_mm: float
    bone_to_soft: float
    femur_fwhm_mm: float


def _body_rows(image: NDArray[np.float64]) -> tuple[int, int]:
    sums = image.sum(axis=1)
    rows = np.nonzero(sums > 0.02 * sums.max())[0]
    return int(rows.min()), int(rows.max())


def _leg(profile: NDArray[np.float64], spacing: float) -> tuple[float, float] | None:
    """Return (peak over soft-tissue background, FWHM of the bone profile in mm) of one leg."""
    smooth = ndimage.uniform_filter1d(profile, 3)
    peak = int(np.argmax(smooth))
    inside = np.nonzero(smooth > 0.15 * smooth[peak])[0]
    away = np.abs(inside - peak) > 25.0 / spacing
    if away.sum() < 3:
        return None
    background = float(np.median(smooth[inside[away]]))
    excess = smooth - background
    half = excess[peak] / 2.0
    left, right = peak, peak
    while left > 0 and excess[left] > half:
        left -= 1
    while right < len(excess) - 1 and excess[right] > half:
        right += 1
    return smooth[peak] / background, (right - left) * spacing


def measure(image: NDArray[np.floating], spacing_mm: float) -> Measures:
    """Measure one anterior or posterior view (counts, upright)."""
    data = np.asarray(image, dtype=np.float64)
    top, bottom = _body_rows(data)
    rows = slice(top + int(0.61 * (bottom - top)), top + int(0.66 * (bottom - top)))
    profile = data[rows].mean(axis=0)
    body = np.nonzero(profile > 0.1 * profile.max())[0]
    middle = (body.min() + body.max()) // 2
    legs = [
        _leg(part, spacing_mm) for part in (profile[body.min() : middle], profile[middle : body.max() + 1])
    ]
    found = [leg for leg in legs if leg is not None]
    ratio = float(np.mean([leg[0] for leg in found])) if found else math.nan
    width = float(np.mean([leg[1] for leg in found])) if found else math.nan
    return Measures(
        total_counts=float(data.sum()),
        max_pixel=float(data.max()),
        body_length_mm=(bottom - top + 1) * spacing_mm,
        bone_to_soft=ratio,
        femur_fwhm_mm=width,
    )


def inverted_grey(image: NDArray[np.floating], percentile: float = 99.5) -> NDArray[np.uint8]:
    """Return ``image`` as 8-bit inverted grey (white background), saturating at ``percentile``."""
    data = np.asarray(image, dtype=np.float64)
    positive = data[data > 0]
    top = float(np.percentile(positive, percentile)) if positive.size else 1.0
    return (255.0 - np.clip(data / max(top, 1e-9), 0.0, 1.0) * 255.0).astype(np.uint8)


def write_png(path: Path, grey: NDArray[np.uint8]) -> None:
    """Write an 8-bit grey image as PNG (no metadata, so the bytes depend on the pixels only)."""
    rows, cols = grey.shape
    raw = b"".join(b"\x00" + grey[r].tobytes() for r in range(rows))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", cols, rows, 8, 0, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
    path.write_bytes(png)


def _gap(rows: int, width: int = 6) -> NDArray[np.uint8]:
    """Return a white strip to separate pictures."""
    return np.full((rows, width), 255, dtype=np.uint8)


def _simulated(count: int, seed: int) -> list[tuple[NDArray[np.float32], float]]:
    out = []
    for index in range(count):
        rng = np.random.default_rng([seed, index])
        patient = sample_patient(rng)
        acquisition = sample_acquisition(rng, patient, baseline_day=datetime(2024, 1, 1))
        if index == 0:
            acquisition = replace(acquisition, uptake_h=3.0)
        scan = simulate_scan(patient, acquisition, (), rng)
        out.append((scan.counts, scan.body.frame.spacing_mm))
    return out


def _gallery(out: Path, kinds: tuple[str, ...], seed: int) -> None:
    """Write one anterior/posterior pair per finding kind (320 rows around the findings).

    Also writes the truth maps of the first one: region labels of both views and the finding map.
    """
    tiles: list[NDArray[np.uint8]] = []
    for index, kind in enumerate(kinds):
        rng = np.random.default_rng([seed, 100 + index])
        patient = sample_patient(rng)
        acquisition = sample_acquisition(rng, patient, baseline_day=datetime(2024, 1, 1))
        body = build_body(patient, acquisition.positioning, 100.0)
        scan = simulate_scan(patient, acquisition, renumber(sample_kind(body, rng, kind)), rng)
        rows = np.nonzero(scan.finding_map[0].any(axis=1) | scan.finding_map[1].any(axis=1))[0]
        centre = int(np.median(rows)) if rows.size else 400
        window = slice(min(max(centre - 160, 0), 1024 - 320), min(max(centre - 160, 0), 1024 - 320) + 320)
        tiles += [
            inverted_grey(scan.counts[0])[window],
            _gap(320, 2),
            inverted_grey(scan.counts[1])[window],
            _gap(320, 12),
        ]
        if index == 0:
            labels = (scan.labels.astype(np.float64) * 7.0).clip(0, 255).astype(np.uint8)
            found = np.where(scan.finding_map > 0, 255, 0).astype(np.uint8)
            maps = [labels[0], _gap(1024), labels[1], _gap(1024), np.maximum(labels[0] // 3, found[0])]
            write_png(out / "sim-truth-maps.png", np.hstack(maps))
    write_png(out / f"sim-findings-{'-'.join(k.replace('_', '') for k in kinds)}.png", np.hstack(tiles[:-1]))


def _regions(real: NDArray[np.floating], simulated: NDArray[np.floating]) -> NDArray[np.uint8]:
    """Return head-and-shoulders, trunk, pelvis and knee crops: the real scan above, simulated below."""
    strips = []
    for image in (real, simulated):
        data = np.asarray(image, dtype=np.float64)
        top, bottom = _body_rows(data)
        grey = inverted_grey(data, 99.0)
        crops = []
        for start in (0.0, 0.2, 0.4, 0.66):
            row = top + int(start * (bottom - top))
            crops += [grey[row : row + 180], _gap(180)]
        strips += [np.hstack(crops[:-1]), np.full((6, 4 * 256 + 18), 255, dtype=np.uint8)]
    return np.vstack(strips[:-1])


def uptake_series(seed: int, hours: tuple[float, ...] = (2.0, 3.0, 4.0, 6.0)) -> str:
    """Return a Markdown table: one patient with metastases scanned at several uptake intervals."""
    rng = np.random.default_rng([seed, 7])
    patient = sample_patient(rng, "M")
    acquisition = sample_acquisition(rng, patient, baseline_day=datetime(2024, 1, 1))
    body = build_body(patient, acquisition.positioning, 100.0)
    findings: tuple[Finding, ...] = ()
    while len(findings) < 4:
        findings = renumber([f for f in sample_kind(body, rng, "prostate") if not f.diffuse])
    lines = [
        f"| uptake (h) | counts, anterior | bone/soft tissue | median lesion contrast (posterior) "
        f"| pixels > 25% above normal ({len(findings)} lesions) | true BSI |",
        "|---|---|---|---|---|---|",
    ]
    for h in hours:
        scan = simulate_scan(patient, replace(acquisition, uptake_h=h), findings, np.random.default_rng(1))
        contrasts = []
        for finding in findings:
            mask = scan.finding_map[1] == finding.id
            if mask.any():
                contrasts.append(scan.expected[1][mask].mean() / scan.expected_without[1][mask].mean())
        excess = scan.expected[1] / np.maximum(scan.expected_without[1], 1e-6)
        ratio = measure(scan.counts[0], scan.body.frame.spacing_mm).bone_to_soft
        lines.append(
            f"| {h:.0f} | {scan.counts[0].sum() / 1e6:.2f} M | {ratio:.2f} | {np.median(contrasts):.2f} "
            f"| {int((excess > 1.25).sum())} | {bsi(findings, scan)[0]:.3f} |"
        )
    return "\n".join(lines)


def _followups(out: Path, seed: int) -> str:
    """Write baseline and two follow-ups of a progressing patient (posterior views); return statuses."""
    rng = np.random.default_rng([seed, 200])
    patient = sample_patient(rng, "M")
    acquisition = replace(sample_acquisition(rng, patient, baseline_day=datetime(2024, 1, 1)), uptake_h=3.0)
    body = build_body(patient, acquisition.positioning, 100.0)
    findings: tuple[Finding, ...] = ()
    while not 3 <= len(findings) <= 8:
        findings = renumber([f for f in sample_kind(body, rng, "prostate") if not f.diffuse])
    tiles, notes = [], []
    for step in range(3):
        if step:
            findings = evolve(
                findings, course="progression", step=step, primary="prostate", body=body, rng=rng
            )
        scan = simulate_scan(patient, acquisition, tuple(f for f in findings if f.id), rng)
        tiles += [inverted_grey(scan.counts[1]), _gap(1024)]
        statuses = sorted({f.status for f in findings})
        notes.append(f"scan {step}: {sum(1 for f in findings if f.id)} lesions ({', '.join(statuses)})")
    write_png(out / "sim-followup-progression.png", np.hstack(tiles[:-1]))
    return "; ".join(notes)


def _table(rows: list[tuple[str, Measures]]) -> str:
    lines = [
        "| scan | total counts | max pixel | body length (mm) | bone/soft tissue | femur profile FWHM (mm) |",
        "|---|---|---|---|---|---|",
    ]
    for name, m in rows:
        lines.append(
            f"| {name} | {m.total_counts / 1e6:.2f} M | {m.max_pixel:.0f} | {m.body_length_mm:.0f} | "
            f"{m.bone_to_soft:.2f} | {m.femur_fwhm_mm:.1f} |"
        )
    return "\n".join(lines)


def _summary(name: str, values: list[Measures]) -> str:
    """Return one line: median (range) of each measure over the simulated views ``values``."""

    def spread(numbers: list[float], scale: float, digits: int) -> str:
        data = np.asarray(numbers, dtype=np.float64) / scale
        low, mid, high = np.nanmin(data), np.nanmedian(data), np.nanmax(data)
        return f"{mid:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"

    return (
        f"{name}, median (range) of {len(values)}: "
        f"counts {spread([m.total_counts for m in values], 1e6, 2)} M, "
        f"hottest pixel {spread([m.max_pixel for m in values], 1.0, 0)}, "
        f"body length {spread([m.body_length_mm for m in values], 1.0, 0)} mm, "
        f"bone/soft {spread([m.bone_to_soft for m in values], 1.0, 2)}, "
        f"femur FWHM {spread([m.femur_fwhm_mm for m in values], 1.0, 1)} mm"
    )


def main(argv: list[str] | None = None) -> None:
    """Measure the real scan and simulated ones, print a Markdown table, write the pictures."""
    parser = argparse.ArgumentParser(description="Compare simulated bone scans with a real one.")
    parser.add_argument("--real", type=Path, required=True, help="a real anterior whole-body scan (DICOM)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNG pictures")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    dataset = pydicom.dcmread(args.real)
    real = dataset.pixel_array.astype(np.float64)
    real_spacing = float(dataset.PixelSpacing[0])
    simulated = _simulated(args.count, args.seed)
    rows = [("real NM1 (anterior)", measure(real, real_spacing))]
    for index, (counts, spacing) in enumerate(simulated):
        for view, name in enumerate(("anterior", "posterior")):
            rows.append((f"sim {index} {name}", measure(counts[view], spacing)))
    print(_table(rows))
    for name in ("anterior", "posterior"):
        print("\n" + _summary(name, [m for label, m in rows[1:] if label.endswith(name)]))
    print("\n" + uptake_series(args.seed))
    args.out.mkdir(parents=True, exist_ok=True)
    first = simulated[0][0]
    side = np.hstack(
        [inverted_grey(real), _gap(1024), inverted_grey(first[0]), _gap(1024), inverted_grey(first[1])]
    )
    write_png(args.out / "sim-vs-nm1-whole-body.png", side)
    write_png(args.out / "sim-vs-nm1-regions.png", _regions(real, first[0]))
    print("\nfollow-ups: " + _followups(args.out, args.seed))
    _gallery(args.out, ("prostate", "super_scan", "myeloma"), args.seed)
    _gallery(args.out, ("degenerative", "fracture", "paget", "osteomyelitis"), args.seed)
    _gallery(args.out, ("prosthesis", "urine_contamination", "injection_site"), args.seed)
    logger.info("pictures written to %s", args.out)


if __name__ == "__main__":
    main()
