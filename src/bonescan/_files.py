"""Writing files so that a failure leaves nothing half-written behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from bonescan.errors import OutputError

__all__ = ["write_atomically"]


def write_atomically(target: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write a file through ``write`` into a temporary file beside ``target``, then rename it.

    Raises
    ------
    OutputError
        When the folder of ``target`` does not exist.
    """
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"{target}: the folder {folder} does not exist; create it first")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
