"""``detect``: every hot and cold spot of a study, paired across views into findings."""

from __future__ import annotations

import logging

from bonescan.anatomy.model import Anatomy
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
        normal = normal_uptake(view, view_anatomy)
        references[view.name] = normal.reference
        spots[view.name] = find_spots(view, view_anatomy, normal)
    views = {view.name: view for view in study.views}
    bodies = {view.view: view.body for view in anatomy.views}
    findings = pair_spots(spots, views, bodies)
    logger.info("%d finding(s) from %s spot(s)", len(findings), {k.value: len(v) for k, v in spots.items()})
    return Findings(tuple(findings), references)
