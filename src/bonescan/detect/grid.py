"""The detection grid: a view whose pixels are far from 2.26 mm is searched on a 2.26 mm grid.

Detection works in pixels (its smoothing, minimum spot sizes and distances, and the classifier's
32-pixel patches) and was built for whole-body views of :data:`NATIVE_SPACING_MM` pixels (the usual
1024 × 256 pixels, rows × columns). A view with finer or coarser pixels (2048 × 512, 512 × 128) is
rebinned to :data:`DETECTION_SPACING_MM` for detection, conserving its counts: each pixel's counts
are shared among the new pixels in proportion to the overlap of their areas, so that binning by a
whole factor sums the counts and keeps Poisson statistics. The view's anatomy is taken over by
nearest neighbour. The spots found are then mapped back onto the view's own grid: every pixel of
the view whose centre falls in a spot's pixel belongs to it (at least the pixel under the spot's
centre), so findings are reported where they lie in the image as stored. Their measurements (area
in mm², uptake ratios, patches) are those of the detection grid. The uptake reference (counts per
pixel) is the detection grid's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from bonescan.anatomy.landmarks import Landmark, Landmarks
from bonescan.anatomy.model import ViewAnatomy
from bonescan.detect.model import Spot
from bonescan.study import QualityCheck, Severity, Study, View

__all__ = ["DETECTION_SPACING_MM", "NATIVE_SPACING_MM", "DetectionGrid", "grid_notes", "rebinned_counts"]

_Pixel = TypeVar("_Pixel", np.uint8, np.bool_)

#: The pixel size detection was built for (mm).
DETECTION_SPACING_MM = 2.26
#: Pixel sizes (mm) that detection takes as they are.
NATIVE_SPACING_MM = (2.0, 2.6)


def _pixels_out(pixels_in: int, spacing_in: float) -> int:
    return max(1, round(pixels_in * spacing_in / DETECTION_SPACING_MM))


def _overlap(pixels_in: int, pixels_out: int) -> sparse.csr_matrix:
    """Return the (out × in) matrix of the share of each input pixel that falls in each output pixel.

    Not :func:`bonescan.anatomy.grid.resample`: it interpolates (a triangle footprint, rows summing
    to 1), which would blur counts across pixels and not sum a whole-factor binning exactly.
    """
    scale = pixels_out / pixels_in  # output pixels per input pixel
    rows, columns, shares = [], [], []
    for source in range(pixels_in):
        start, stop = source * scale, (source + 1) * scale
        for target in range(int(np.floor(start)), min(int(np.ceil(stop)), pixels_out)):
            share = (min(stop, target + 1) - max(start, target)) / scale
            if share > 0:
                rows.append(target)
                columns.append(source)
                shares.append(share)
    return sparse.csr_matrix((shares, (rows, columns)), shape=(pixels_out, pixels_in))


def rebinned_counts(
    counts: NDArray[np.float32], spacing_mm: tuple[float, float]
) -> tuple[NDArray[np.float32], tuple[float, float]]:
    """Return ``counts`` rebinned to about :data:`DETECTION_SPACING_MM`, and the new pixel spacing.

    The total is kept. Each axis gets a whole number ``n`` of pixels spanning the same length, so the
    new spacing is :data:`DETECTION_SPACING_MM` within a factor of ``1 ± 0.5 / n`` (0.2% for 256).
    """
    (rows_in, columns_in), (row_mm, column_mm) = counts.shape, spacing_mm
    rows_out, columns_out = _pixels_out(rows_in, row_mm), _pixels_out(columns_in, column_mm)
    by_rows = _overlap(rows_in, rows_out) @ np.asarray(counts, dtype=np.float64)
    rebinned = (_overlap(columns_in, columns_out) @ by_rows.T).T
    spacing = (rows_in * row_mm / rows_out, columns_in * column_mm / columns_out)
    return np.asarray(rebinned, dtype=np.float32), spacing


def _native(view: View) -> bool:
    low, high = NATIVE_SPACING_MM
    return all(low <= spacing <= high for spacing in view.pixel_spacing_mm)


def _centres(pixels_from: int, pixels_to: int) -> NDArray[np.intp]:
    """For each pixel of one grid, the pixel of the other grid (same length) its centre falls in."""
    index = np.floor((np.arange(pixels_from) + 0.5) * pixels_to / pixels_from).astype(np.intp)
    return np.minimum(index, pixels_to - 1)


@dataclass(frozen=True)
class DetectionGrid:
    """How one view maps onto the detection grid and back.

    Attributes
    ----------
    view : View
        The view as stored.
    grid : View
        The same view rebinned to the detection grid.
    """

    view: View
    grid: View

    @classmethod
    def for_view(cls, view: View) -> DetectionGrid | None:
        """Return the view's detection grid, or None when detection takes the view as it is."""
        if _native(view):
            return None
        counts, spacing = rebinned_counts(view.counts, view.pixel_spacing_mm)
        return cls(view, replace(view, counts=counts, pixel_spacing_mm=spacing))

    def _scale(self) -> tuple[float, float]:
        (rows_in, columns_in), (rows_out, columns_out) = self.view.shape, self.grid.shape
        return rows_out / rows_in, columns_out / columns_in

    @cached_property
    def _grid_to_stored(self) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """For each row and each column of the detection grid, the view's row and column it falls in."""
        (rows_in, columns_in), (rows_out, columns_out) = self.view.shape, self.grid.shape
        return _centres(rows_out, rows_in), _centres(columns_out, columns_in)

    def _to_grid(self, mask: NDArray[_Pixel]) -> NDArray[_Pixel]:
        return mask[np.ix_(*self._grid_to_stored)]

    def anatomy(self, anatomy: ViewAnatomy) -> ViewAnatomy:
        """Return the view's anatomy on the detection grid (labels by nearest neighbour)."""
        row_scale, column_scale = self._scale()

        def moved(mark: Landmark) -> Landmark:
            columns = {side: (column + 0.5) * column_scale - 0.5 for side, column in mark.columns.items()}
            return replace(mark, row=(mark.row + 0.5) * row_scale - 0.5, columns=columns)

        landmarks = Landmarks(
            {name: moved(mark) for name, mark in anatomy.landmarks.points.items()}, anatomy.landmarks.missing
        )
        return replace(
            anatomy,
            labels=self._to_grid(anatomy.labels),
            body=self._to_grid(anatomy.body),
            landmarks=landmarks,
            urine=None if anatomy.urine is None else self._to_grid(anatomy.urine),
        )

    @cached_property
    def _stored_to_grid(self) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """For each row and each column of the view, the detection-grid row and column it falls in."""
        (rows_in, columns_in), (rows_out, columns_out) = self.view.shape, self.grid.shape
        return _centres(rows_in, rows_out), _centres(columns_in, columns_out)

    def spot(self, spot: Spot) -> Spot:
        """Return a spot found on the detection grid, mapped onto the view's own grid."""
        row_of, column_of = self._stored_to_grid
        top, left = int(spot.rows.min()), int(spot.columns.min())
        inside = np.zeros((int(spot.rows.max()) - top + 1, int(spot.columns.max()) - left + 1), dtype=np.int8)
        core = spot.core if spot.core is not None else np.ones(spot.rows.size, dtype=bool)
        inside[spot.rows - top, spot.columns - left] = np.where(core, 2, 1)  # 1: in the spot, 2: its core
        near_rows = np.flatnonzero((row_of >= top) & (row_of < top + inside.shape[0]))
        near_columns = np.flatnonzero((column_of >= left) & (column_of < left + inside.shape[1]))
        stored = inside[np.ix_(row_of[near_rows] - top, column_of[near_columns] - left)]
        found_rows, found_columns = np.nonzero(stored)
        rows, columns = near_rows[found_rows], near_columns[found_columns]
        in_core: NDArray[np.bool_] | None = stored[found_rows, found_columns] == 2
        if rows.size == 0:  # a spot smaller than the view's pixels: the pixel under its centre
            (rows_in, columns_in), (row_scale, column_scale) = self.view.shape, self._scale()
            centre_row, centre_column = spot.centroid
            rows = np.array([min(int((centre_row + 0.5) / row_scale), rows_in - 1)])
            columns = np.array([min(int((centre_column + 0.5) / column_scale), columns_in - 1)])
            in_core = None
        return replace(
            spot,
            rows=rows.astype(np.intp),
            columns=columns.astype(np.intp),
            core=None if spot.core is None else in_core,
            pixel_spacing_mm=self.view.pixel_spacing_mm,
        )


def grid_notes(study: Study) -> tuple[QualityCheck, ...]:
    """Return a note (severity info) for each view that detection searches on the 2.26 mm grid."""
    low, high = NATIVE_SPACING_MM
    return tuple(
        QualityCheck(
            "detection_grid",
            Severity.INFO,
            f"{view.name} view: pixels of {' x '.join(f'{mm:.2f}' for mm in view.pixel_spacing_mm)} mm, "
            f"outside {low}-{high} mm: spots were searched on a {DETECTION_SPACING_MM} mm grid and are "
            "reported on the view's own",
            view.name,
        )
        for view in study.views
        if not _native(view)
    )
