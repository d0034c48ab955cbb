"""Read the real scan NM1 in 17 versions and print each version's patient probability and likely findings.

Usage (from the repository root)::

    python training/nm1_versions.py ../shared/data/nm1/NM1_UNC.dcm [--model path/to/findings.json]

The versions (``docs/performance.md``, "The real scan NM1 drawn again"): the values times 10 and over
100; the counts thinned to 50% and 25% (binomial thinning); drawn again as Poisson counts of the view
blurred by one pixel, of twice the counts blurred so, and of twice the counts; each random version
with seeds 1, 2 and 3. A classifier is judged by how many versions read 0.5 or more.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from bonescan import load_study
from bonescan.assessment.analyze import analyze
from bonescan.classify.model import load_finding_model
from bonescan.study import Study

_Counts = NDArray[np.float64]


def _thinned(share: float) -> Callable[[_Counts, np.random.Generator], _Counts]:
    return lambda counts, rng: rng.binomial(np.round(counts).astype(np.int64), share).astype(np.float64)


def _redrawn(factor: float, blur: float) -> Callable[[_Counts, np.random.Generator], _Counts]:
    def draw(counts: _Counts, rng: np.random.Generator) -> _Counts:
        mean = ndimage.gaussian_filter(counts * factor, blur) if blur else counts * factor
        return rng.poisson(np.clip(mean, 0.0, None)).astype(np.float64)

    return draw


_RANDOM = {
    "thinned to 50%": _thinned(0.5),
    "thinned to 25%": _thinned(0.25),
    "blurred 1 px, redrawn": _redrawn(1.0, 1.0),
    "blurred 1 px, twice the counts": _redrawn(2.0, 1.0),
    "twice the counts": _redrawn(2.0, 0.0),
}


def _with_counts(study: Study, change: Callable[[_Counts], _Counts]) -> Study:
    views = tuple(
        dataclasses.replace(view, counts=change(np.asarray(view.counts, float))) for view in study.views
    )
    return dataclasses.replace(study, views=views)


def versions(study: Study) -> Iterator[tuple[str, Study]]:
    """Yield the 17 versions of ``study`` with their names."""
    yield "values x 10", _with_counts(study, lambda counts: counts * 10.0)
    yield "values / 100", _with_counts(study, lambda counts: counts / 100.0)
    for name, draw in _RANDOM.items():
        for seed in (1, 2, 3):
            rng = np.random.default_rng(seed)
            yield f"{name}, seed {seed}", _with_counts(study, lambda counts, d=draw, r=rng: d(counts, r))


def main(argv: list[str] | None = None) -> None:
    """Print one line a version: its name, the patient probability, and the findings at 0.5 or more."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dicom", type=Path)
    parser.add_argument(
        "--model", type=Path, help="a finding model's findings.json (default: the shipped one)"
    )
    args = parser.parse_args(argv)
    model = load_finding_model(args.model)
    study = load_study(args.dicom)
    high = 0
    for name, version in [("as stored", study), *versions(study)]:
        assessment = analyze(version, finding_model=model)
        likely = [
            f"{item.finding.region} {item.label} {item.metastasis_probability:.2f}"
            for item in assessment.judged
            if item.metastasis_probability >= 0.5
        ]
        labels = "; ".join(f"{item.finding.region} {item.label}" for item in assessment.judged)
        high += name != "as stored" and assessment.metastasis_probability >= 0.5
        print(f"{name:36s} {assessment.metastasis_probability:.2f}  likely: {likely}  all: {labels}")
    print(f"versions at 0.5 or more: {high} of 17")


if __name__ == "__main__":
    main()
