"""Writing files so that a failure leaves nothing half-written behind."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from bonescan.errors import OutputError

__all__ = ["output_folder", "refuse_input_folder", "write_atomically", "write_bytes_atomically"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# the modes new files and folders get under this process's umask (mkstemp/mkdtemp make them private)
_FILE_MODE = 0o666 & ~_umask()
_FOLDER_MODE = 0o777 & ~_umask()


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
        os.chmod(temporary, _FILE_MODE)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_bytes_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through :func:`write_atomically`."""
    write_atomically(target, lambda stream: stream.write(data))


def refuse_input_folder(target: Path, sources: tuple[Path, ...]) -> None:
    """Refuse an output folder that holds one of the inputs (it would be replaced).

    Raises
    ------
    OutputError
        When ``target`` is a folder above one of ``sources``.
    """
    if any(target.resolve() in source.resolve().parents for source in sources):
        raise OutputError(f"{target}: holds an input file; choose another output folder")


@contextmanager
def output_folder(target: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``target`` that becomes ``target`` only if all went well.

    Raises
    ------
    OutputError
        When ``target`` is a file, exists and is not empty (unless ``overwrite``), or its parent is
        missing.
    """
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target}: is a file, not a folder; choose another folder")
    if target.exists() and any(target.iterdir()) and not overwrite:
        raise OutputError(f"{target}: exists and is not empty; choose another folder or pass --force")
    if not target.parent.is_dir():
        raise OutputError(f"{target}: the folder {target.parent} does not exist; create it first")
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        yield temporary
        os.chmod(temporary, _FOLDER_MODE)
        _move_into_place(temporary, target, overwrite=overwrite)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _move_into_place(temporary: Path, target: Path, *, overwrite: bool) -> None:
    """Rename ``temporary`` to ``target``, replacing what is there wholly only with ``overwrite``.

    Without ``overwrite`` only an empty folder is replaced; one that another program filled while
    this one was writing is left as it is.
    """
    if overwrite and target.exists():
        shutil.rmtree(target)
    try:
        if target.exists():
            target.rmdir()
        os.replace(temporary, target)
    except OSError as error:
        if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        raise OutputError(
            f"{target}: was filled by another program while bonescan was writing; "
            "nothing in it was replaced, choose another folder"
        ) from error
