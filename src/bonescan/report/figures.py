"""Pictures for reports: both views with the numbered findings outlined and coloured by label.

The views are drawn upright in the inverted grey scale of reading stations (:mod:`bonescan.render`),
anterior on the left, with square pixels, and scaled up by an integer factor so that outlines and
numbers stay readable. Every finding is outlined in each view that shows it, in its label's colour
(:data:`LABEL_COLOURS`), with its number beside it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from bonescan.render import HEADER_PX, panel_lefts, render_study
from bonescan.report.source import ReportFinding, ReportSource
from bonescan.study import View

__all__ = ["LABEL_COLOURS", "annotated_views", "label_colour"]

#: Outline colours (RGB) by finding label: malignant labels warm, benign cool, non-bone grey.
LABEL_COLOURS: dict[str, tuple[int, int, int]] = {
    "metastasis": (220, 30, 30),
    "myeloma_or_lytic": (200, 0, 160),
    "indeterminate": (240, 140, 0),
    "degenerative": (30, 110, 220),
    "fracture": (0, 150, 150),
    "paget": (120, 80, 200),
    "osteomyelitis": (160, 110, 0),
    "prosthesis_related": (90, 90, 160),
    "physiological": (120, 120, 120),
    "artefact": (150, 150, 150),
}
_FALLBACK = (0, 0, 0)


def label_colour(label: str) -> tuple[int, int, int]:
    """Return the outline colour of a label."""
    return LABEL_COLOURS.get(label, _FALLBACK)


def _to_canvas(view: View, outline: NDArray[np.float64], left: int, scale: int) -> list[tuple[float, float]]:
    """Return outline vertices as (x, y) on the scaled canvas (pixel centres at +0.5)."""
    row_mm, column_mm = view.pixel_spacing_mm
    stretch = column_mm / row_mm
    return [
        ((left + (column + 0.5) * stretch) * scale, (HEADER_PX + row + 0.5) * scale)
        for row, column in outline
    ]


def _draw_finding(
    draw: ImageDraw.ImageDraw,
    source: ReportSource,
    finding: ReportFinding,
    lefts: list[int],
    scale: int,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
) -> None:
    colour = label_colour(finding.label)
    for index, view in enumerate(source.study.views):
        entry = finding.spots.get(view.name)
        if entry is None:
            continue
        points = _to_canvas(view, source.upright_outline(view, entry), lefts[index], scale)
        if len(points) >= 2:
            draw.line([*points, points[0]], fill=colour, width=max(1, scale // 2 + 1))
        right = max(x for x, _ in points)
        top = min(y for _, y in points)
        draw.text((right + 2, top - 2), str(finding.number), fill=colour, font=font, anchor="lb")


def annotated_views(source: ReportSource, *, scale: int = 2) -> Image.Image:
    """Return both views side by side with every finding outlined, numbered and coloured by label.

    Parameters
    ----------
    source : ReportSource
        The result and its images.
    scale : int
        Integer enlargement of the stored pixels (2 keeps a 1024-row view readable on a page).
    """
    base = render_study(source.study).convert("RGB")
    canvas = base.resize((base.width * scale, base.height * scale), Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=12 * scale)
    lefts = panel_lefts(source.study)
    for finding in source.findings():
        _draw_finding(draw, source, finding, lefts, scale, font)
    return canvas
