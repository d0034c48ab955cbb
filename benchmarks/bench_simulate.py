"""Time the simulation of a 100-case cohort on one core.

Run ``.venv/bin/python benchmarks/bench_simulate.py [--cases N] [--seed S]``. The process pins itself to
one CPU and limits numerical libraries to one thread before importing them, writes the cohort into a
temporary folder (removed afterwards) and prints the wall-clock time, the time per case and the machine.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from _machine import describe  # noqa: E402


def main() -> None:
    """Run the benchmark and print its result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from bonescan.simulate.cohort import CohortConfig, write_cohort

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        write_cohort(Path(folder) / "cohort", CohortConfig(cases=args.cases, seed=args.seed))
        elapsed = time.perf_counter() - start
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(
        f"simulated {args.cases} cases (seed {args.seed}) in {elapsed:.1f} s "
        f"({elapsed / args.cases:.3f} s per case) on {cores} core(s)"
    )
    print(describe())


if __name__ == "__main__":
    main()
