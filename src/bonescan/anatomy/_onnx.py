"""Run an ONNX network shipped with bonescan on the CPU with onnxruntime."""

from __future__ import annotations

import json
import logging
import os
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from bonescan.errors import BonescanError

logger = logging.getLogger(__name__)

__all__ = ["Runner", "load_shipped_network", "onnx_runner", "restricted_threads"]


class Runner(Protocol):
    """A network: a function from an input array to its output array."""

    def __call__(self, inputs: NDArray[np.float32]) -> NDArray[np.float32]: ...


def restricted_threads() -> int | None:
    """Return how many CPUs this process may run on, when that is fewer than the machine has.

    None when the process may run on every CPU (or the system does not say): then onnxruntime's
    default is the right one.
    """
    if not hasattr(os, "sched_getaffinity"):  # pragma: no cover - systems without CPU affinity
        return None
    allowed = len(os.sched_getaffinity(0))
    return allowed if allowed < (os.cpu_count() or allowed) else None


def onnx_runner(path: Path, threads: int | None) -> Runner:
    """Return a function running the ONNX network at ``path`` on ``threads`` threads.

    Parameters
    ----------
    path : Path
        The ONNX file.
    threads : int or None
        onnxruntime's intra-op threads. By default, in a process restricted to some of the machine's
        CPUs (``taskset``, a container's CPU set), as many as it may use (:func:`restricted_threads`);
        otherwise onnxruntime's default: one thread per physical core of the machine, each pinned to
        its core, which in a restricted process would run network work on the CPUs it was kept off.
        The shipped networks give the same outputs, bit for bit, on one thread and on two.

    Returns
    -------
    Runner
        The network as a function from its input to its first output.
    """
    try:
        import onnxruntime
    except ImportError as error:  # pragma: no cover - a dependency
        raise BonescanError("onnxruntime is not installed; reinstall bonescan") from error
    options = onnxruntime.SessionOptions()
    chosen = threads if threads is not None else restricted_threads()
    if chosen is not None:
        options.intra_op_num_threads = chosen
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
