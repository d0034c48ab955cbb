"""Read simulated studies exported as one image holding both views side by side, beside their DICOM.

Usage (from the repository root)::

    python training/side_by_side_versions.py .cache/dev/dev-5110 --limit 20 [--touching]

Each baseline's two views are put side by side (anterior left, :data:`GAP` background columns,
posterior right, both upright, as workstations display them; with ``--touching`` each view without
the columns beside its body outline and no gap, so that the two outlines touch) and written as a
16-bit TIFF (counts) and as an 8-bit dark-on-white PNG (display levels); each is analysed with
``--pixel-spacing 2.26`` as ``load_study`` reads it, beside the DICOM. Prints per study the patient
probability, hotspot count, BSI and number of views of the three, then the largest and median
differences from the DICOM's probability (``docs/performance.md``, "Both views side by side in one image").
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

from bonescan import load_study
from bonescan._body import body_mask
from bonescan.assessment import analyze, result_document
from bonescan.study import Study

GAP = 12


def _reading(study: Study) -> tuple[float, int, float, int]:
    document = result_document(analyze(study))
    patient = document["patient"]
    views = len(document["views"])
    return patient["metastasis_probability"], patient["hotspot_count"], patient["bsi_percent"], views


def _within_body(counts: np.ndarray) -> np.ndarray:
    columns = np.flatnonzero(body_mask(counts).any(axis=0))
    return counts[:, columns[0] : columns[-1] + 1]


def _exports(study: Study, folder: Path, touching: bool) -> tuple[Path, Path]:
    anterior, posterior = study.anterior, study.posterior
    assert anterior is not None and posterior is not None
    if touching:
        frame = np.concatenate([_within_body(anterior.counts), _within_body(posterior.counts)], axis=1)
    else:
        gap = np.zeros((anterior.counts.shape[0], GAP), dtype=np.float32)
        frame = np.concatenate([anterior.counts, gap, posterior.counts], axis=1)
    counts, display = folder / "export.tif", folder / "export.png"
    tifffile.imwrite(counts, np.round(frame).astype(np.uint16))
    grey = np.clip(frame / np.percentile(frame, 99.9) * 255, 0, 255).astype(np.uint8)
    Image.fromarray(255 - grey).save(display)
    return counts, display


def main() -> None:
    """Command line of the check."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cohort", type=Path, help="a folder written by bonescan simulate")
    parser.add_argument("--limit", type=int, default=20, help="baselines read (the first ones)")
    parser.add_argument("--touching", action="store_true", help="no background between the two bodies")
    arguments = parser.parse_args()
    differences: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        for path in sorted(arguments.cohort.glob("case*/baseline.dcm"))[: arguments.limit]:
            study = load_study(path)
            counts, display = _exports(study, Path(folder), arguments.touching)
            exported = [_reading(load_study(p, pixel_spacing_mm=2.26)) for p in (counts, display)]
            readings = [_reading(study), *exported]
            differences.append((abs(readings[1][0] - readings[0][0]), abs(readings[2][0] - readings[0][0])))
            print(path.parent.name, "DICOM, 16-bit, 8-bit:", readings, flush=True)
    table = np.array(differences)
    for column, name in ((0, "16-bit"), (1, "8-bit")):
        values = table[:, column]
        median, largest = np.median(values), values.max()
        print(f"{name}: probability differs from the DICOM's by median {median:.3f}, max {largest:.3f}")


if __name__ == "__main__":
    main()
