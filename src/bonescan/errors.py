"""The exceptions bonescan raises.

Every message says what is wrong and, where it can, what to do about it. The command-line interface
turns :class:`InputError` and :class:`OutputError` into exit status 2 and any other
:class:`BonescanError` into exit status 1.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["BonescanError", "InputError", "NotABoneScanError", "OutputError"]


class BonescanError(Exception):
    """Base class of every error bonescan raises on purpose."""


class InputError(BonescanError):
    """The input cannot be used: unreadable, malformed, ambiguous or incomplete.

    Parameters
    ----------
    path : str or Path or None
        The file or folder at fault, named at the start of the message.
    reason : str
        What is wrong, and what to do about it where that is not obvious.
    """

    def __init__(self, path: str | Path | None, reason: str) -> None:
        self.path = Path(path) if path is not None else None
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path is not None else reason)


class NotABoneScanError(InputError):
    """A readable file that is not a whole-body planar bone scan (SPECT, a QC flood, CT, ...)."""


class OutputError(BonescanError):
    """An output cannot be written where it was asked for (it exists, or the folder is missing)."""
