"""Write what :func:`bonescan.anatomy.segment` found: label maps, overlays and a JSON description.

Label maps are 8-bit PNG files whose pixel values are region registry labels, in each view's grid
*as stored in the input* (a view turned upright on input is turned back), so that they line up with
the source images. Overlays are upright pictures for people. ``anatomy.json`` holds the label legend,
the landmarks (rows in both grids), and per region its confidence, area or why it is missing.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from PIL import Image

from bonescan._files import output_folder, refuse_input_folder
from bonescan._version import __version__
from bonescan.anatomy import Anatomy, ViewAnatomy
from bonescan.regions import REGIONS
from bonescan.render import render_overlay
from bonescan.study import Study, View

__all__ = ["write_segmentation"]

logger = logging.getLogger(__name__)


def _view_description(view: View, anatomy: ViewAnatomy) -> dict[str, Any]:
    landmarks = {}
    for name, point in anatomy.landmarks.points.items():
        stored_row, _ = view.orientation.to_stored(point.row, 0.0, view.shape)
        landmarks[name] = {
            "row": round(point.row, 1),
            "row_as_stored": round(stored_row, 1),
            "confidence": round(point.confidence, 2),
            "method": point.method,
        }
    return {
        "view": str(view.name),
        "label_map": f"{view.name}_labels.png",
        "overlay": f"{view.name}_overlay.png",
        "landmarks": landmarks,
        "landmarks_missing": anatomy.landmarks.missing,
        "regions": {
            name: {
                "confidence": round(status.confidence, 3),
                "area_mm2": round(status.area_px * view.pixel_spacing_mm[0] * view.pixel_spacing_mm[1], 1),
                "missing_reason": status.missing_reason,
            }
            for name, status in anatomy.regions.items()
        },
    }


def write_segmentation(
    study: Study, anatomy: Anatomy, folder: str | Path, *, overwrite: bool = False
) -> Path:
    """Write label maps, overlays and ``anatomy.json`` into a new ``folder``.

    Raises
    ------
    OutputError
        When ``folder`` exists and is not empty (unless ``overwrite``), or holds an input.
    """
    target = Path(folder)
    refuse_input_folder(target, study.sources)
    description: dict[str, Any] = {
        "bonescan_version": __version__,
        "method": anatomy.method,
        "legend": {str(entry.label): entry.name for entry in REGIONS},
        "views": [],
    }
    with output_folder(target, overwrite=overwrite) as temporary:
        for view in study.views:
            view_anatomy = anatomy.view(view.name)
            if view_anatomy is None:
                continue
            stored = view.orientation.apply(view_anatomy.labels)  # the flips are their own inverse
            Image.fromarray(stored).save(temporary / f"{view.name}_labels.png")
            render_overlay(view, view_anatomy.labels).save(temporary / f"{view.name}_overlay.png")
            description["views"].append(_view_description(view, view_anatomy))
        (temporary / "anatomy.json").write_text(json.dumps(description, indent=2))
    logger.info("wrote %s", target)
    return target
