"""Smooth random fields that belong to the patient: bone texture and soft-tissue variation.

A field is drawn once per patient in the patient's own frame (millimetres, ``x`` to the patient's left,
``y`` down from the vertex) from a seed of the patient, smoothed with a Gaussian of the chosen
correlation length, and sampled onto the anterior grid through the acquisition's :class:`Frame`. So it
moves with the patient: repeats and follow-ups see the same texture wherever the patient lies on the
table, and only the tissue does not change between scans.

Fields are multiplicative and log-normal: ``exp(amplitude * z)`` with ``z`` a smoothed white noise
scaled to unit standard deviation, so they are positive and about 1 on average.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from bonescan.simulate.anatomy import Frame, Source
from bonescan.simulate.geometry import Ellipsoid
from bonescan.simulate.patient import Patient

__all__ = ["SOFT_SIGMA_MM", "VAULT_SIGMA_MM", "Textures", "patient_field", "patient_textures"]

#: Correlation length (mm) of the soft-tissue variation (muscle and fat).
SOFT_SIGMA_MM = 35.0
#: Correlation length (mm) of the cranial vault's uneven uptake.
VAULT_SIGMA_MM = 12.0

#: Margin (mm) of the field around the body, so that rotated and shifted grids stay inside it.
_MARGIN_MM = 80.0
#: Half-width (mm) of the field across the body (arms included).
_HALF_WIDTH_MM = 360.0


def _noise(seed: tuple[int, ...], shape: tuple[int, int], sigma_px: float) -> NDArray[np.float32]:
    """Return white noise smoothed with ``sigma_px`` and scaled to unit standard deviation."""
    rng = np.random.default_rng(list(seed))
    white = rng.standard_normal(shape, dtype=np.float32)
    smooth = np.asarray(ndimage.gaussian_filter(white, sigma_px, mode="wrap"), dtype=np.float32)
    spread = float(smooth.std(dtype=np.float64))
    return smooth / np.float32(max(spread, 1e-12))


def _grid_to_field(
    frame: Frame, step: float, origin: tuple[float, float], box: tuple[int, int]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the affine map from grid pixels (row, col), box corner first, to field indices (iy, ix).

    Inverts :meth:`Frame.px`: a pixel's patient coordinates, then their place in the field sampled
    every ``step`` mm from ``origin`` (y, x).
    """
    s = frame.spacing_mm
    cos, sin = math.cos(frame.angle), math.sin(frame.angle)
    pivot = frame.height_mm / 2.0
    centre = (frame.shape[1] - 1) / 2.0 * s + frame.positioning.offset_x_mm
    top = frame.positioning.top_margin_mm + pivot
    matrix = np.array([[cos, -sin], [sin, cos]]) * (s / step)
    offset = np.array(
        [
            (sin * centre - cos * top + pivot - origin[0]) / step,
            (-cos * centre - sin * top - origin[1]) / step,
        ]
    )
    return matrix, offset + matrix @ np.array(box, dtype=np.float64)


def patient_field(
    frame: Frame,
    seed: tuple[int, ...],
    sigma_mm: float,
    amplitude: float,
    box: tuple[slice, slice] | None = None,
) -> NDArray[np.float32]:
    """Return a patient's multiplicative field on the anterior grid (or on ``box`` of it).

    Parameters
    ----------
    frame : Frame
        Where the patient lies in this acquisition.
    seed : tuple of int
        The field's seed (from the patient, so every scan of the patient draws the same field).
    sigma_mm : float
        Correlation length: the Gaussian sigma of the smoothing, in mm of the patient.
    amplitude : float
        Standard deviation of the field's logarithm (0 gives ones).
    box : tuple of slice, optional
        Rows and columns of the grid to return (all of it by default).

    Returns
    -------
    ndarray of float32
        ``exp(amplitude * z)`` sampled at the pixel centres.
    """
    rows, cols = box if box is not None else (slice(0, frame.shape[0]), slice(0, frame.shape[1]))
    out_shape = (rows.stop - rows.start, cols.stop - cols.start)
    if amplitude <= 0.0:
        return np.ones(out_shape, dtype=np.float32)
    step = max(sigma_mm / 2.0, 1.0)
    origin = (-_MARGIN_MM, -_HALF_WIDTH_MM)
    shape = (
        math.ceil((frame.height_mm + 2.0 * _MARGIN_MM) / step) + 1,
        math.ceil(2.0 * _HALF_WIDTH_MM / step) + 1,
    )
    z = _noise(seed, shape, sigma_mm / step)
    matrix, offset = _grid_to_field(frame, step, origin, (rows.start, cols.start))
    sampled = np.asarray(
        ndimage.affine_transform(z, matrix, offset, output_shape=out_shape, order=1, mode="nearest"),
        dtype=np.float32,
    )
    field: NDArray[np.float32] = np.exp(np.float32(amplitude) * sampled)
    return field


@dataclass(frozen=True)
class Textures:
    """A patient's fields on the anterior grid of one acquisition.

    Attributes
    ----------
    bone : ndarray of float32
        Fine texture of bone uptake.
    vault : ndarray of float32
        The bone texture times the cranial vault's coarse variation (used for the vault's walls).
    soft : ndarray of float32
        Smooth variation of soft-tissue activity (muscle and fat).
    """

    bone: NDArray[np.float32]
    vault: NDArray[np.float32]
    soft: NDArray[np.float32]

    def for_part(self, source: Source, box: tuple[slice, slice]) -> NDArray[np.float32]:
        """Return the relative concentration of bone part ``source`` over ``box`` of the grid."""
        field = self.vault if source.name.startswith("cranium") else self.bone
        return field[box]


def _vault_box(bones: tuple[Source, ...], shape: tuple[int, int]) -> tuple[slice, slice] | None:
    """Return the grid box holding the cranial vault's walls."""
    r0, r1, c0, c1 = shape[0], 0, shape[1], 0
    for source in bones:
        prim = source.primitive
        if not source.name.startswith("cranium") or not isinstance(prim, Ellipsoid):
            continue
        reach = max(prim.half_width, prim.half_height) + 1.0
        r0, r1 = min(r0, math.floor(prim.centre[0] - reach)), max(r1, math.ceil(prim.centre[0] + reach))
        c0, c1 = min(c0, math.floor(prim.centre[1] - reach)), max(c1, math.ceil(prim.centre[1] + reach))
    r0, r1, c0, c1 = max(r0, 0), min(r1, shape[0]), max(c0, 0), min(c1, shape[1])
    return (slice(r0, r1), slice(c0, c1)) if r0 < r1 and c0 < c1 else None


def patient_textures(patient: Patient, frame: Frame, bones: tuple[Source, ...]) -> Textures:
    """Return the patient's bone texture, vault variation and soft-tissue variation in ``frame``.

    Each field has its own seed derived from the patient's ``uptake_seed``, so every scan of the
    patient carries the same texture.
    """
    seed = patient.uptake_seed
    bone = patient_field(frame, (seed, 1), patient.texture_mm, patient.bone_texture)
    vault = bone.copy()
    box = _vault_box(bones, frame.shape)
    if box is not None:
        vault[box] *= patient_field(frame, (seed, 2), VAULT_SIGMA_MM, patient.vault_variation, box)
    soft = patient_field(frame, (seed, 3), SOFT_SIGMA_MM, patient.soft_variation)
    return Textures(bone, vault, soft)
