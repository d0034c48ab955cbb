"""Writing what ``bonescan analyze`` produces into a new folder, all or nothing.

One folder per study::

    result.json        the assessment (contract: bonescan.assessment.result)
    anatomy.npz        the region label map of each view, in its stored grid (labels_<view>)
    report.html ...    the reports asked for (bonescan.report.outputs)
    manifest.json      inputs and their hashes, software version, options, outputs and their
                       hashes, time taken: enough to trace and reproduce the result
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bonescan._files import output_folder, refuse_input_folder, write_bytes_atomically
from bonescan._version import __version__
from bonescan.assessment import Assessment
from bonescan.assessment.result import file_sha256
from bonescan.report.outputs import check_formats, write_reports
from bonescan.report.source import ANATOMY_FILE, RESULT_FILE, ReportSource, report_source, stored_labels

__all__ = ["MANIFEST_FILE", "now_text", "write_analysis", "write_manifest", "write_result_files"]

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"


def write_result_files(source: ReportSource, folder: Path) -> None:
    """Write ``result.json`` and ``anatomy.npz`` of a report source into ``folder``."""
    (folder / RESULT_FILE).write_text(json.dumps(source.document, indent=2) + "\n")
    arrays: dict[str, Any] = dict(stored_labels(source))
    np.savez_compressed(folder / ANATOMY_FILE, **arrays)


def now_text() -> str:
    """Return the present time in UTC as ISO 8601 text (seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_manifest(
    folder: Path,
    source: ReportSource,
    options: dict[str, Any],
    seconds: float | None,
    history: Sequence[dict[str, Any]],
) -> Path:
    """Write ``manifest.json``: inputs, options, time taken, every file in ``folder``, what was done.

    ``history`` lists the actions that made the folder (the analysis, later reports) in order.
    """
    outputs = [
        {
            "path": path.relative_to(folder).as_posix(),
            "bytes": path.stat().st_size,
            "sha256": file_sha256(path),
        }
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST_FILE
    ]
    manifest = {
        "software": {"name": "bonescan", "version": __version__},
        "created": history[0]["at"] if history else now_text(),
        "seconds": None if seconds is None else round(seconds, 3),
        "options": options,
        "inputs": source.document.get("inputs", {}).get("files", []),
        "outputs": outputs,
        "history": list(history),
    }
    path = folder / MANIFEST_FILE
    write_bytes_atomically(path, (json.dumps(manifest, indent=2) + "\n").encode())
    return path


def write_analysis(
    assessment: Assessment,
    folder: str | Path,
    *,
    overwrite: bool = False,
    reports: Sequence[str] = (),
    anonymized: bool = False,
    started: float | None = None,
) -> Path:
    """Write the result folder of an analysis: result, labels, the reports asked for, the manifest.

    Parameters
    ----------
    assessment : Assessment
        The analysis.
    folder : path
        A new (or empty) folder.
    overwrite : bool
        Replace ``folder`` if it exists.
    reports : sequence of str
        Report formats to write (:data:`bonescan.report.outputs.REPORT_FORMATS`).
    anonymized : bool
        Leave identifying data out of every output (and the input paths out of the result).
    started : float, optional
        ``time.perf_counter()`` when the work began, for the time taken in the manifest.

    Raises
    ------
    OutputError
        When ``folder`` exists and is not empty (unless ``overwrite``), or holds an input.
    """
    formats = check_formats(reports)
    target = Path(folder)
    refuse_input_folder(target, assessment.study.sources)
    source = report_source(assessment, anonymized=anonymized)
    options = {
        "primary": assessment.primary.value,
        "pretest_probability": assessment.pretest.probability if assessment.pretest else None,
        "reports": list(formats),
        "anonymized": anonymized,
    }
    with output_folder(target, overwrite=overwrite) as temporary:
        write_result_files(source, temporary)
        write_reports(source, temporary, formats)
        seconds = None if started is None else time.perf_counter() - started
        history = [{"action": "analyze", "at": now_text(), "software_version": __version__}]
        write_manifest(temporary, source, options, seconds, history)
    logger.info("wrote %s", target)
    return target
