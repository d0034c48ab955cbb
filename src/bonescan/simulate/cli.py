"""The ``bonescan simulate`` command.

``bonescan simulate --out DIR --cohort N --seed S [--repeats R] [--followups F] [--catheters SHARE]``
writes a cohort of simulated whole-body bone scans with their ground truth into the new folder DIR (see
:mod:`bonescan.simulate.cohort` for the mix and :mod:`bonescan.simulate.truth` for the truth).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import click

from bonescan.simulate.catheter import CATHETER_SHARE
from bonescan.simulate.cohort import MIX, CohortConfig, write_cohort

__all__ = ["simulate_command"]

logger = logging.getLogger(__name__)


@click.command(name="simulate")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, file_okay=True, dir_okay=True),
    help="New (or empty) folder to write the cohort into.",
)
@click.option("--cohort", "cases", type=int, default=10, show_default=True, help="Number of patients.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed: same seed, same bytes.")
@click.option(
    "--repeats",
    type=int,
    default=0,
    show_default=True,
    help="Repeat acquisitions of each baseline scan (same patient and day, independent noise).",
)
@click.option(
    "--followups",
    type=int,
    default=0,
    show_default=True,
    help="Follow-up scans of each patient, 8-16 weeks apart (new, grown, shrunk, resolved lesions, flare).",
)
@click.option(
    "--catheters",
    type=float,
    default=CATHETER_SHARE,
    show_default=True,
    help="Share of the patients with a urinary catheter's collection bag (0-1; 1 for a test set of bags).",
)
def simulate_command(
    out: Path, cases: int, seed: int, repeats: int, followups: int, catheters: float
) -> None:
    """Simulate a cohort of whole-body bone scans with exact ground truth.

    Mix: {mix}. Each acquisition gives an NM DICOM (anterior and posterior frames), a truth JSON
    (findings, true BSI, patient label, primary cancer) and the region label and finding maps (.npz).
    """
    config = CohortConfig(cases=cases, seed=seed, repeats=repeats, followups=followups, catheters=catheters)
    start = time.perf_counter()
    target = write_cohort(out, config)
    elapsed = time.perf_counter() - start
    scans = cases * (1 + repeats + followups)
    click.echo(f"wrote {cases} patients ({scans} scans) to {target} in {elapsed:.1f} s")


if simulate_command.help is not None:
    simulate_command.help = simulate_command.help.replace(
        "{mix}", ", ".join(f"{label} {share:.0%}" for label, share in MIX.items())
    )
