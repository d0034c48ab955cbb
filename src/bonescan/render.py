"""Pictures of a study in the inverted grey scale of reading stations (dark bone on white)."""

from __future__ import annotations

import colorsys
import logging
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from bonescan._body import body_mask, extreme_blobs
from bonescan._files import write_atomically
from bonescan.errors import OutputError
from bonescan.regions import REGIONS, RegionKind
from bonescan.study import ImageSide, Study, View, ViewName

__all__ = [
    "GAP_PX",
    "HEADER_PX",
    "WINDOW_PERCENTILE",
    "panel_lefts",
    "render_overlay",
    "render_study",
    "view_window",
    "write_rendering",
]

logger = logging.getLogger(__name__)

#: The window's upper limit is this percentile of the values inside the body (extreme blobs left out):
#: bone shows in full grey range while the bladder and the hottest lesions saturate, as on a reading
#: station.
WINDOW_PERCENTILE = 99.5
HEADER_PX = 28
GAP_PX = 16
_LABELS = {ViewName.ANTERIOR: "ANT", ViewName.POSTERIOR: "POST"}


def view_window(view: View) -> tuple[float, float]:
    """Return the (lower, upper) display window of a view.

    Extreme blobs (:func:`bonescan._body.extreme_blobs`: the bladder, a catheter's collection bag)
    are left out of the body and of the percentile, so that a bag of urine does not fade the
    skeleton; they saturate.
    """
    extreme = extreme_blobs(view.counts, view.pixel_spacing_mm)
    counts = np.where(extreme, 0.0, view.counts) if extreme.any() else view.counts
    inside = counts[body_mask(counts) & ~extreme]
    values = inside if inside.size else view.counts.ravel()
    upper = float(np.percentile(values, WINDOW_PERCENTILE))
    return 0.0, max(upper, 1.0)


def _grey(view: View) -> NDArray[np.uint8]:
    lower, upper = view_window(view)
    scaled = np.clip((view.counts - lower) / (upper - lower), 0.0, 1.0)
    return np.asarray(np.rint(255.0 * (1.0 - scaled)), dtype=np.uint8)


def _square_pixels(image: Image.Image, spacing: tuple[float, float]) -> Image.Image:
    row_mm, column_mm = spacing
    if abs(row_mm - column_mm) < 1e-3 * max(row_mm, column_mm):
        return image
    width = round(image.width * column_mm / row_mm)
    return image.resize((width, image.height), Image.Resampling.BILINEAR)


def panel_lefts(study: Study) -> list[int]:
    """Return the x position of each view's panel in :func:`render_study`'s picture, in view order."""
    lefts, left = [], 0
    for view in study.views:
        lefts.append(left)
        row_mm, column_mm = view.pixel_spacing_mm
        left += round(view.shape[1] * column_mm / row_mm) + GAP_PX
    return lefts


def _side_letters(view: View) -> tuple[str, str]:
    """Return the letters (image left, image right) naming the patient's side."""
    return ("R", "L") if view.patient_left is ImageSide.RIGHT else ("L", "R")


def render_study(study: Study) -> Image.Image:
    """Return both views side by side (anterior left), dark bone on white, labelled."""
    panels = [_square_pixels(Image.fromarray(_grey(view)), view.pixel_spacing_mm) for view in study.views]
    height = max(panel.height for panel in panels) + HEADER_PX
    width = sum(panel.width for panel in panels) + GAP_PX * (len(panels) - 1)
    canvas = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=16)
    left = 0
    for view, panel in zip(study.views, panels, strict=True):
        canvas.paste(panel, (left, HEADER_PX))
        draw.text((left + panel.width // 2, 4), _LABELS[view.name], fill=0, font=font, anchor="mt")
        image_left, image_right = _side_letters(view)
        draw.text((left + 4, 4), image_left, fill=0, font=font)
        draw.text((left + panel.width - 4, 4), image_right, fill=0, font=font, anchor="ra")
        left += panel.width + GAP_PX
    return canvas


def write_rendering(study: Study, path: str | Path, *, overwrite: bool = False) -> Path:
    """Render ``study`` and write it as a PNG file.

    Raises
    ------
    OutputError
        When ``path`` exists and ``overwrite`` is False, is one of the study's inputs, or its folder
        does not exist.
    """
    target = Path(path)
    if any(target.resolve() == source.resolve() for source in study.sources):
        raise OutputError(f"{target}: is one of the inputs; choose another output name")
    if target.exists() and not overwrite:
        raise OutputError(f"{target}: exists already; choose another name or pass --force")
    picture = render_study(study)
    write_atomically(target, lambda stream: picture.save(stream, format="PNG"))
    logger.info("wrote %s", target)
    return target


def _region_colours() -> NDArray[np.uint8]:
    """Return one colour per region label: bones in distinct hues, organs in blues, others none."""
    colours = np.zeros((max(entry.label for entry in REGIONS) + 1, 3), dtype=np.uint8)
    bones = [entry for entry in REGIONS if entry.kind is RegionKind.BONE]
    for index, entry in enumerate(bones):
        hue = (index * 0.618034) % 1.0  # golden-ratio steps keep neighbours apart
        colours[entry.label] = _hsv_to_rgb(hue, 0.85, 0.95)
    for entry in REGIONS:
        if entry.kind is RegionKind.ORGAN:
            colours[entry.label] = (40, 90, 255)
    return colours


def _hsv_to_rgb(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    red, green, blue = colorsys.hsv_to_rgb(hue, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


def render_overlay(view: View, labels: NDArray[np.uint8], opacity: float = 0.45) -> Image.Image:
    """Return one view in inverted grey with its region labels blended on top in colour."""
    grey = _grey(view).astype(np.float32)[..., np.newaxis].repeat(3, axis=2)
    colours = _region_colours()[labels].astype(np.float32)
    painted = (labels > 1)[..., np.newaxis]
    blended = np.where(painted, (1 - opacity) * grey + opacity * colours, grey)
    image = Image.fromarray(np.asarray(np.rint(blended), dtype=np.uint8), mode="RGB")
    return _square_pixels(image, view.pixel_spacing_mm)
