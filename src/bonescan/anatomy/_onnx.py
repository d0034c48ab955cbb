"""Run an ONNX network shipped with bonescan on the CPU with onnxruntime."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from bonescan.errors import BonescanError

__all__ = ["Runner", "onnx_runner"]


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
