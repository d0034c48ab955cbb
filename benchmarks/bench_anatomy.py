"""Time the skeleton labelling of two-view studies on one core.

Run ``.venv/bin/python benchmarks/bench_anatomy.py [--cases N] [--seed S]``. The process pins itself
to one CPU and limits numerical libraries (and onnxruntime) to one thread, simulates N studies into a
temporary folder, loads each, and times :func:`bonescan.anatomy.segment` alone (the loading is not
counted). It prints the median, the 90th percentile and the machine.
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


def main() -> None:
    """Run the benchmark and print its result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--seed", type=int, default=6001)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from bonescan import load_study
    from bonescan.anatomy import segment
    from bonescan.anatomy.network import load_network
    from bonescan.anatomy.refine import load_refiner
    from bonescan.simulate.cohort import CohortConfig, write_cohort

    network = load_network(threads=1)
    refiner = load_refiner(threads=1)
    with tempfile.TemporaryDirectory() as folder:
        cohort = write_cohort(Path(folder) / "cohort", CohortConfig(cases=args.cases, seed=args.seed))
        studies = [load_study(scan) for scan in sorted(cohort.glob("case*/baseline.dcm"))]
    segment(studies[0], network=network, refiner=refiner)  # warm-up: the first run loads libraries
    seconds = []
    for study in studies:
        start = time.perf_counter()
        segment(study, network=network, refiner=refiner)
        seconds.append(time.perf_counter() - start)
    print(
        f"segmented {len(seconds)} two-view studies: median {np.median(seconds):.3f} s, "
        f"90th percentile {np.percentile(seconds, 90):.3f} s per study, on 1 core"
    )
    print(describe())


if __name__ == "__main__":
    main()
