"""``make demo``: run bonescan's main job on built-in defaults and say where the outputs are.

Usage: ``python -m bonescan.demo OUTPUT_FOLDER``. It simulates three patients (a fixed seed: one with
benign findings, one normal, one with metastases), then takes the patient with metastases and reads
it back, checks it, renders it, labels its skeleton and reads it (hot and cold spots, their labels
and probabilities, the BSI and the impression), as a user would with the CLI.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bonescan.cli import main as cli_main

__all__ = ["main"]

_DEMO_SEED = "2026"


def _run(arguments: list[str]) -> None:
    print(f"$ bonescan {' '.join(arguments)}", flush=True)
    try:
        cli_main(arguments)
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            raise


def main(argv: list[str] | None = None) -> None:
    """Run the demo into the folder given as the only argument."""
    arguments = sys.argv[1:] if argv is None else argv
    output = Path(arguments[0] if arguments else "demo-output")
    output.mkdir(parents=True, exist_ok=True)
    cohort = output / "simulated"
    _run(["simulate", "--out", str(cohort), "--cohort", "3", "--seed", _DEMO_SEED])
    simulated = cohort / "case00003"  # the patient with metastases (its truth: baseline.truth.json)
    _run(["inspect", str(simulated)])
    _run(["render", str(simulated), "-o", str(output / "views.png"), "--force"])
    _run(["segment", str(simulated), "-o", str(output / "anatomy"), "--force"])
    _run(
        [
            "analyze",
            str(simulated),
            "--out",
            str(output / "analysis"),
            "--primary",
            "prostate",
            "--report",
            "html,pdf,dicom",
            "--force",
        ]
    )
    print(f"demo done: see {output}/")


if __name__ == "__main__":
    main()
