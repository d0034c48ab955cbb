"""Time the reports of one analysis on one core: HTML (physician + patient summary), PDF, DICOM.

Run ``.venv/bin/python benchmarks/bench_report.py [--cases N] [--seed S]``. The process pins itself to
one CPU with numerical libraries and onnxruntime on one thread, simulates N two-view studies, analyses
each once (not timed), and times :func:`bonescan.report.write_reports` for each format separately
(after one warm-up run of each), writing into a fresh temporary folder every time. It prints the
median and 90th percentile per format and the machine.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from _machine import describe  # noqa: E402


def _pin() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _sources(folder: Path, cases: int, seed: int) -> list:
    from bonescan import load_study
    from bonescan.anatomy.network import load_network
    from bonescan.assessment import analyze
    from bonescan.report import report_source
    from bonescan.simulate.cohort import CohortConfig, write_cohort

    cohort = write_cohort(folder / "cohort", CohortConfig(cases=cases, seed=seed))
    network = load_network(threads=1)
    return [
        report_source(analyze(load_study(path), network=network))
        for path in sorted(cohort.glob("case*/baseline.dcm"))
    ]


def _time(source: object, fmt: str, scratch: Path) -> float:
    from bonescan.report import write_reports

    target = Path(tempfile.mkdtemp(dir=scratch))
    started = time.perf_counter()
    write_reports(source, target, [fmt])  # type: ignore[arg-type]
    return time.perf_counter() - started


def main() -> None:
    """Print the time each report format takes per study."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10)
    parser.add_argument("--seed", type=int, default=6001)
    arguments = parser.parse_args()
    _pin()
    with tempfile.TemporaryDirectory() as name:
        scratch = Path(name)
        sources = _sources(scratch, arguments.cases, arguments.seed)
        for fmt in ("html", "pdf", "dicom"):
            _time(sources[0], fmt, scratch)  # warm-up: imports, templates, fonts
            seconds = [_time(source, fmt, scratch) for source in sources]
            print(
                f"{fmt}: {len(seconds)} studies, median {np.median(seconds):.3f} s, "
                f"90th percentile {np.percentile(seconds, 90):.3f} s per study, on 1 core"
            )
    print(describe())


if __name__ == "__main__":
    main()
