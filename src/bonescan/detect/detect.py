"""``detect``: every hot and cold spot of a study, paired across views into findings.

A view whose pixels are far from 2.26 mm is searched on a 2.26 mm grid (:mod:`bonescan.detect.grid`);
a view whose values are counts times a factor, as its noise shows (:mod:`bonescan.noise`), is
searched with its values divided by that factor.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bonescan.anatomy.model import Anatomy
from bonescan.detect.grid import DetectionGrid
from bonescan.detect.model import Findings, Spot
from bonescan.detect.pairing import pair_spots
from bonescan.detect.reference import normal_uptake
from bonescan.detect.spots import find_spots
from bonescan.study import Study, View, ViewName

__all__ = ["detect"]

logger = logging.getLogger(__name__)


def _as_counts(view: View) -> View:
    """Return ``view`` with its values divided by the factor its noise shows, if any."""
    scale = view.count_scale
    if not scale.scaled:
        return view
    logger.info("%s view: values read as counts divided by %.4g", view.name, scale.divisor)
    return replace(view, counts=view.counts / scale.divisor)


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
        counted = _as_counts(view)
        grid = DetectionGrid.for_view(counted)
        searched, searched_anatomy = (
            (counted, view_anatomy) if grid is None else (grid.grid, grid.anatomy(view_anatomy))
        )
        normal = normal_uptake(searched, searched_anatomy)
        found = find_spots(searched, searched_anatomy, normal)
        spots[view.name] = found if grid is None else [grid.spot(spot) for spot in found]
        references[view.name] = normal.reference
    views = {view.name: view for view in study.views}
    bodies = {view.view: view.body for view in anatomy.views}
    findings = pair_spots(spots, views, bodies)
    logger.info("%d finding(s) from %s spot(s)", len(findings), {k.value: len(v) for k, v in spots.items()})
    return Findings(tuple(findings), references)
