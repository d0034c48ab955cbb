"""Working on an existing result folder: a physician's confirmation, and reports made again."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bonescan._files import write_bytes_atomically
from bonescan._version import __version__
from bonescan.analysis_files import MANIFEST_FILE, now_text, write_manifest
from bonescan.errors import InputError
from bonescan.report.outputs import check_formats, write_reports
from bonescan.report.source import CONFIRMATION_FILE, RESULT_FILE, Confirmation, load_report_source

__all__ = ["confirm_result", "remake_reports"]

logger = logging.getLogger(__name__)


def _result_folder(folder: str | Path) -> Path:
    base = Path(folder)
    if not (base / RESULT_FILE).is_file():
        raise InputError(base, f"holds no {RESULT_FILE}; give a folder written by bonescan analyze")
    return base


def confirm_result(folder: str | Path, physician: str, comment: str = "") -> Confirmation:
    """Record that ``physician`` has reviewed and confirmed the result in ``folder``.

    Raises
    ------
    InputError
        When ``folder`` is not a result folder or no physician is named.
    """
    base = _result_folder(folder)
    if not physician.strip():
        raise InputError(base, "a confirmation needs the physician's name")
    confirmation = Confirmation(physician.strip(), datetime.now(UTC), comment.strip())
    text = json.dumps(confirmation.as_dict(), indent=2).encode()
    write_bytes_atomically(base / CONFIRMATION_FILE, text)
    logger.info("%s confirmed by %s", base, confirmation.physician)
    return confirmation


def remake_reports(
    folder: str | Path,
    formats: Sequence[str],
    *,
    inputs: tuple[Path, ...] = (),
    anonymized: bool | None = None,
) -> list[Path]:
    """Make the reports of a result folder again (after a confirmation, or in other formats).

    The reports are written into a temporary folder first and moved in only when all are done;
    the manifest is written anew. Returns the report files written.

    Raises
    ------
    InputError
        When the folder is not a result folder or an input is missing or has changed.
    """
    base = _result_folder(folder)
    chosen = check_formats(formats)
    source = load_report_source(base, inputs=inputs, anonymized=anonymized)
    staging = Path(tempfile.mkdtemp(prefix=f".{base.name}.", suffix=".part", dir=base.parent))
    try:
        written = write_reports(source, staging, chosen)
        moved = []
        for path in written:
            target = base / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            moved.append(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    previous = _previous_manifest(base)
    action = {
        "action": "report",
        "at": now_text(),
        "software_version": __version__,
        "formats": list(chosen),
        "anonymized": source.anonymized,
        "confirmed_by": source.confirmation.physician if source.confirmation else None,
    }
    history = [*previous.get("history", []), action]
    write_manifest(base, source, previous.get("options", {}), previous.get("seconds"), history)
    return moved


def _previous_manifest(base: Path) -> dict[str, Any]:
    """Return the folder's manifest so far (empty when it has none or it cannot be read)."""
    try:
        data = json.loads((base / MANIFEST_FILE).read_text())
    except (OSError, ValueError):
        logger.warning("%s: no readable %s; writing a new one", base, MANIFEST_FILE)
        return {}
    return data if isinstance(data, dict) else {}
