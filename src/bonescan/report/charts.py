"""Small pieces of the physician report: region names in words and the per-region BSI chart.

The chart is inline SVG built with :mod:`xml.etree.ElementTree`, which escapes every text and
attribute it writes, so the markup can be placed into the report as it is. It draws one horizontal
bar per involved region, largest first, each bar's length proportional to the region's share of the
Bone Scan Index, with the region in words on the left and its value on the right.
"""

from __future__ import annotations

from collections.abc import Mapping
from xml.etree import ElementTree

from bonescan.classify.reasons import region_words

__all__ = ["bsi_chart_svg", "format_percent", "involved_regions", "region_in_words"]

_ROW_HEIGHT = 22
_LABEL_WIDTH = 190
_BAR_SPACE = 300
_VALUE_WIDTH = 80
_CHART_WIDTH = _LABEL_WIDTH + _BAR_SPACE + _VALUE_WIDTH
_BAR_COLOUR = "#b22222"
_FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"


def region_in_words(name: str) -> str:
    """Return a region name of the registry in words: ``femur_proximal_left`` -> ``left proximal femur``.

    A name the registry does not know (a result of a newer bonescan) is given with spaces for
    underscores rather than refused.
    """
    try:
        return region_words(name)
    except KeyError:
        return name.replace("_", " ")


def format_percent(value: float) -> str:
    """Return a percentage with two decimals, or ``< 0.01%`` for a value that would round to zero."""
    if 0 < value < 0.005:
        return "< 0.01%"
    return f"{value:.2f}%"


def involved_regions(bsi_by_region: Mapping[str, float]) -> list[tuple[str, float]]:
    """Return the regions with a non-zero share of the BSI, largest first (ties by name)."""
    return sorted(
        ((name, float(value)) for name, value in bsi_by_region.items() if float(value) > 0),
        key=lambda item: (-item[1], item[0]),
    )


def _text(parent: ElementTree.Element, x: float, y: float, anchor: str, words: str) -> None:
    element = ElementTree.SubElement(
        parent,
        "text",
        {"x": f"{x:.1f}", "y": f"{y:.1f}", "text-anchor": anchor, "font-size": "12", "font-family": _FONT},
    )
    element.text = words


def bsi_chart_svg(bsi_by_region: Mapping[str, float]) -> str | None:
    """Return the per-region BSI as an inline SVG bar chart, or None when no region is involved.

    Parameters
    ----------
    bsi_by_region : mapping of str to float
        Each region's share of the Bone Scan Index, in percent (``patient["bsi_by_region"]``);
        regions with 0 are left out.

    Returns
    -------
    str or None
        The ``<svg>`` element as text, every text in it escaped.
    """
    regions = involved_regions(bsi_by_region)
    if not regions:
        return None
    height = _ROW_HEIGHT * len(regions) + 4
    largest = regions[0][1]
    svg = ElementTree.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {_CHART_WIDTH} {height}",
            "width": str(_CHART_WIDTH),
            "height": str(height),
            "role": "img",
            "class": "bsi-chart",
            "aria-label": "Bone Scan Index by region",
        },
    )
    ElementTree.SubElement(svg, "title").text = "Bone Scan Index by region, in percent"
    for index, (name, value) in enumerate(regions):
        top = 2 + index * _ROW_HEIGHT
        middle = top + _ROW_HEIGHT / 2 + 4
        length = max(1.0, _BAR_SPACE * value / largest)
        _text(svg, _LABEL_WIDTH - 8, middle, "end", region_in_words(name))
        ElementTree.SubElement(
            svg,
            "rect",
            {
                "class": "bar",
                "x": str(_LABEL_WIDTH),
                "y": f"{top + 4:.1f}",
                "width": f"{length:.1f}",
                "height": str(_ROW_HEIGHT - 8),
                "fill": _BAR_COLOUR,
            },
        )
        _text(svg, _LABEL_WIDTH + length + 6, middle, "start", format_percent(value))
    return ElementTree.tostring(svg, encoding="unicode")
