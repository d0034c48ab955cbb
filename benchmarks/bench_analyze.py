"""Time ``analyze`` on two-view studies on one core, and measure its peak memory.

Run ``.venv/bin/python benchmarks/bench_analyze.py [--cases N] [--seed S]``. The process pins itself to
one CPU with numerical libraries and onnxruntime on one thread, simulates N studies into a temporary
folder, and times loading plus :func:`bonescan.assessment.analyze` for each (after one warm-up run):
the time that passes, and the CPU time of all the process's threads (more than the time that passes
when some work ran on another CPU).
Peak memory is the maximum resident set size of a fresh child process that loads and analyses one
study: once for a simulated NM DICOM file, once for a research image pair (two 8-bit PNG files, one
per view). It prints the figures and the machine.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from _machine import describe  # noqa: E402


def _pin() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _child(paths: list[str]) -> None:
    """Load and analyse one study, then print the peak resident memory in MB."""
    _pin()
    from bonescan import load_study
    from bonescan.assessment import analyze

    if len(paths) == 2:
        study = load_study((), anterior=Path(paths[0]), posterior=Path(paths[1]), pixel_spacing_mm=2.26)
    else:
        study = load_study(Path(paths[0]))
    analyze(study)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)


def _peak_mb(paths: list[Path]) -> float:
    command = [sys.executable, __file__, "--child", *map(str, paths)]
    return float(subprocess.run(command, check=True, capture_output=True, text=True).stdout.split()[-1])


def _research_pair(dicom: Path, folder: Path) -> list[Path]:
    from PIL import Image

    from bonescan import load_study

    study = load_study(dicom)
    paths = []
    for view in study.views:
        grey = np.clip(view.counts / np.percentile(view.counts, 99.9) * 255.0, 0, 255).astype(np.uint8)
        path = folder / f"{view.name.value}.png"
        Image.fromarray(255 - grey).save(path)  # dark bone on white, as research exports are
        paths.append(path)
    return paths


def main() -> None:
    """Run the benchmark and print its result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--seed", type=int, default=6001)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    _pin()
    from bonescan import load_study
    from bonescan.assessment import analyze
    from bonescan.simulate.cohort import CohortConfig, write_cohort

    with tempfile.TemporaryDirectory() as folder:
        cohort = write_cohort(Path(folder) / "cohort", CohortConfig(cases=args.cases, seed=args.seed))
        scans = sorted(cohort.glob("case*/baseline.dcm"))
        analyze(load_study(scans[0]))  # warm-up: the first run loads libraries and weights
        seconds, cpu_seconds = [], []
        for scan in scans:
            start, cpu_start = time.perf_counter(), time.process_time()
            analyze(load_study(scan))
            seconds.append(time.perf_counter() - start)
            cpu_seconds.append(time.process_time() - cpu_start)
        dicom_mb = _peak_mb([scans[0]])
        pair_mb = _peak_mb(_research_pair(scans[0], Path(folder)))
    print(
        f"analysed {len(seconds)} two-view studies (loading included): median {np.median(seconds):.3f} s, "
        f"90th percentile {np.percentile(seconds, 90):.3f} s per study, on 1 core; "
        f"CPU time of all threads: median {np.median(cpu_seconds):.3f} s per study"
    )
    print(
        "peak memory of one analysis in a fresh process: "
        f"NM DICOM {dicom_mb:.0f} MB, PNG pair {pair_mb:.0f} MB"
    )
    print(describe())


if __name__ == "__main__":
    main()
