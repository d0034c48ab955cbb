"""Writing what ``bonescan analyze`` produces into a new folder, all or nothing."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from bonescan._files import output_folder, refuse_input_folder
from bonescan.assessment import Assessment, result_document

__all__ = ["write_analysis"]

logger = logging.getLogger(__name__)


def write_analysis(assessment: Assessment, folder: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``result.json`` (see :mod:`bonescan.assessment.result`) into a new ``folder``.

    Raises
    ------
    OutputError
        When ``folder`` exists and is not empty (unless ``overwrite``), or holds an input.
    """
    target = Path(folder)
    refuse_input_folder(target, assessment.study.sources)
    document = result_document(assessment)
    with output_folder(target, overwrite=overwrite) as temporary:
        (temporary / "result.json").write_text(json.dumps(document, indent=2) + "\n")
    logger.info("wrote %s", target)
    return target
