"""Run an ONNX network shipped with bonescan on the CPU with onnxruntime."""

from __future__ import annotations

import json
import logging
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from bonescan.errors import BonescanError

logger = logging.getLogger(__name__)

__all__ = ["Runner", "load_shipped_network", "onnx_runner"]


class Runner(Protocol):
    """A network: a function from an input array to its output array."""

    def __call__(self, inputs: NDArray[np.float32]) -> NDArray[np.float32]: ...


def onnx_runner(path: Path, threads: int | None) -> Runner:
    """Return a function running the ONNX network at ``path`` (on ``threads`` threads, if given)."""
    try:
        import onnxruntime
    except ImportError as error:  # pragma: no cover - a dependency
        raise BonescanError("onnxruntime is not installed; reinstall bonescan") from error
    options = onnxruntime.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def run(inputs: NDArray[np.float32]) -> NDArray[np.float32]:
        return np.asarray(session.run(None, {name: inputs})[0], dtype=np.float32)

    return run


def load_shipped_network(
    stem: str, what: str, folder: str | None, threads: int | None
) -> tuple[Runner, dict[str, Any]]:
    """Load ``stem``.onnx and its description ``stem``.json from the package's weights (or ``folder``).

    Raises
    ------
    BonescanError
        When either file is missing, naming ``what`` is missing.
    """
    base = Path(folder) if folder else Path(str(resources.files("bonescan.anatomy") / "weights"))
    weights, description = base / f"{stem}.onnx", base / f"{stem}.json"
    if not weights.is_file() or not description.is_file():
        raise BonescanError(f"{weights}: {what} is missing from this installation")
    logger.debug("loading %s", weights)
    return onnx_runner(weights, threads), json.loads(description.read_text())
