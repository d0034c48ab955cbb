"""``make demo``: run bonescan's main job on built-in defaults and say where the outputs are.

Usage: ``python -m bonescan.demo OUTPUT_FOLDER``. The input is a study the simulator makes when it is
installed, and otherwise the real NEMA NM1 scan from ``../shared/data`` when that folder is present.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from bonescan.cli import main as cli_main

__all__ = ["demo_inputs", "main"]

_SHARED_SCAN = Path("../shared/data/nm1/NM1_UNC.dcm")


def demo_inputs(output: Path) -> list[str]:
    """Return the input paths of the demo, making them first if they are simulated."""
    if importlib.util.find_spec("bonescan.simulate") is not None:
        simulated = output / "simulated"
        _run(["simulate", "--out", str(simulated), "--cohort", "1", "--seed", "2026"])
        return [str(simulated)]
    if _SHARED_SCAN.is_file():
        return [str(_SHARED_SCAN)]
    raise SystemExit("bonescan demo: no simulator and no ../shared/data/nm1/NM1_UNC.dcm to show")


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
    inputs = demo_inputs(output)
    _run(["inspect", *inputs])
    _run(["render", *inputs, "-o", str(output / "views.png"), "--force"])
    print(f"demo done: see {output}/")


if __name__ == "__main__":
    main()
