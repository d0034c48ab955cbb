"""``detect``: every hot and cold spot of a study, paired across views into findings.

A view whose pixels are far from 2.26 mm is searched on a 2.26 mm grid (:mod:`bonescan.detect.grid`).
"""

from __future__ import annotations

import logging

from bonescan.anatomy.model import Anatomy
from bonescan.detect.grid import DETECTION_SPACING_MM, DetectionGrid
from bonescan.detect.model import Findings, Spot
from bonescan.detect.pairing import pair_spots
from bonescan.detect.reference import normal_uptake
from bonescan.detect.spots import find_spots
from bonescan.study import Study, ViewName

__all__ = ["detect"]

logger = logging.getLogger(__name__)


def detect(study: Study, anatomy: Anatomy) -> Findings:
    """Find the hot and cold spots of every view and pair those that show the same lesion.

    Parameters
    ----------
    study : Study
        The study (upright views).
    anatomy : Anatomy
        Its region labels (:func:`~bonescan.anatomy.segment`).

    Returns
    -------
    Findings
        The findings, numbered top to bottom, and each view's normal uptake reference.
    """
    spots: dict[ViewName, list[Spot]] = {}
    references = {}
    for view in study.views:
        view_anatomy = anatomy.view(view.name)
        if view_anatomy is None:
            continue
        grid = DetectionGrid.for_view(view)
        if grid is None:
            normal = normal_uptake(view, view_anatomy)
            spots[view.name] = find_spots(view, view_anatomy, normal)
        else:
            logger.info(
                "%s view: %.2f x %.2f mm pixels, searched on a %.2f mm grid",
                view.name,
                *view.pixel_spacing_mm,
                DETECTION_SPACING_MM,
            )
            on_grid = grid.anatomy(view_anatomy)
            normal = normal_uptake(grid.grid, on_grid)
            spots[view.name] = [grid.spot(spot) for spot in find_spots(grid.grid, on_grid, normal)]
        references[view.name] = normal.reference
    views = {view.name: view for view in study.views}
    bodies = {view.view: view.body for view in anatomy.views}
    findings = pair_spots(spots, views, bodies)
    logger.info("%d finding(s) from %s spot(s)", len(findings), {k.value: len(v) for k, v in spots.items()})
    return Findings(tuple(findings), references)
