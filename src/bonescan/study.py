"""The study model: the bottom of bonescan's pipeline.

A :class:`Study` holds one or two whole-body planar :class:`View` objects (anterior, posterior),
the metadata that reading needs (:class:`StudyMetadata`) and, kept apart so that outputs can leave it
out, the identifying data (:class:`PatientIdentity`).

Conventions
-----------
* Pixels are held upright (head at row 0). When a file was stored head-down, the reader turned it and
  :class:`Orientation` records how, so that positions can be mapped back to the grid as stored.
* Left and right are the patient's. The anterior view is seen from the front, so the patient's left is
  on the image right; the posterior view is as the camera sees it from behind and is *not* mirrored on
  input, so the patient's left is on the image left.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import ClassVar, TypeVar

import numpy as np
from numpy.typing import NDArray

from bonescan.noise import CountScale, count_scale

__all__ = [
    "Camera",
    "ImageSide",
    "Orientation",
    "PatientIdentity",
    "PatientInfo",
    "PixelValues",
    "QualityCheck",
    "Severity",
    "Study",
    "StudyMetadata",
    "View",
    "ViewName",
    "ViewSource",
]


_Pixel = TypeVar("_Pixel", bound=np.generic)


class ViewName(StrEnum):
    """The two whole-body projections of a bone scan."""

    ANTERIOR = "anterior"
    POSTERIOR = "posterior"


class ImageSide(StrEnum):
    """A side of the image as displayed (not of the patient)."""

    LEFT = "image_left"
    RIGHT = "image_right"


class PixelValues(StrEnum):
    """What the pixel values mean."""

    COUNTS = "counts"
    """Raw detected counts, as a gamma camera stores them."""
    DISPLAY = "display"
    """Display grey levels of an export (8-bit PNG/JPEG, screen capture): not counts."""


class Severity(StrEnum):
    """How much a quality finding matters for reading the study."""

    INFO = "info"
    WARNING = "warning"
    SEVERE = "severe"


@dataclass(frozen=True)
class QualityCheck:
    """One finding of the quality checks, or a note from the reader about a decision it took."""

    code: str
    severity: Severity
    message: str
    view: ViewName | None = None


def conventional_patient_left(view: ViewName) -> ImageSide:
    """Return the image side that shows the patient's left in the standard display of ``view``."""
    return ImageSide.RIGHT if view is ViewName.ANTERIOR else ImageSide.LEFT


@dataclass(frozen=True)
class Orientation:
    """How stored pixels were turned to be upright, and where the patient's left lies.

    Attributes
    ----------
    flip_rows, flip_columns : bool
        Whether rows (top/bottom) and columns (left/right) of the stored grid were reversed. A head-down
        acquisition turned upright has both set (a rotation by 180 degrees).
    patient_left : ImageSide
        The image side, after turning, that shows the patient's left.
    decided_by : str
        The rule that decided the orientation, in words.
    """

    flip_rows: bool = False
    flip_columns: bool = False
    patient_left: ImageSide = ImageSide.RIGHT
    decided_by: str = "as stored"

    def to_stored(self, row: float, column: float, shape: tuple[int, int]) -> tuple[float, float]:
        """Map a position in the upright grid to the grid as stored in the input."""
        rows, columns = shape
        return (
            rows - 1 - row if self.flip_rows else row,
            columns - 1 - column if self.flip_columns else column,
        )

    def from_stored(self, row: float, column: float, shape: tuple[int, int]) -> tuple[float, float]:
        """Map a position in the grid as stored to the upright grid (the flips are their own inverse)."""
        return self.to_stored(row, column, shape)

    def apply(self, stored: NDArray[_Pixel]) -> NDArray[_Pixel]:
        """Return the upright array for ``stored`` pixels (or the stored one for upright pixels)."""
        upright = stored
        if self.flip_rows:
            upright = upright[::-1, :]
        if self.flip_columns:
            upright = upright[:, ::-1]
        return np.ascontiguousarray(upright)


@dataclass(frozen=True)
class ViewSource:
    """Where a view came from and which rule decided that it is that view."""

    path: Path
    frame: int = 0
    sop_instance_uid: str | None = None
    series_instance_uid: str | None = None
    view_rule: str = "given"
    columns: tuple[int, int] | None = None  # (first, stop) of the frame, when cut from one holding two views

    #: The rule of a lone view whose file does not say which view it is: taken as anterior.
    ASSUMED_ANTERIOR: ClassVar[str] = (
        "assumed: no view information in the file; a single view taken as anterior"
    )

    @property
    def assumed(self) -> bool:
        """Whether the view was taken as anterior only because nothing said which view it is."""
        return self.view_rule == self.ASSUMED_ANTERIOR


@dataclass(frozen=True, eq=False)
class View:
    """One whole-body projection.

    Attributes
    ----------
    name : ViewName
        Anterior or posterior.
    counts : ndarray of float32, shape (rows, columns)
        Pixel values, upright, read-only; counts unless the study says :attr:`PixelValues.DISPLAY`.
    pixel_spacing_mm : tuple of float
        Distance between pixel centres as (row spacing, column spacing), in millimetres.
    orientation : Orientation
        How the stored grid was turned to upright, and where the patient's left is; by default
        stored upright with the view's conventional sides.
    source : ViewSource
        The file, frame and rule this view comes from.
    declared_counts : int or None
        The total counts the file declares (CountsAccumulated) when it describes this frame alone.
    acquisition_time : datetime or None
        When this view was acquired, as the file says.
    """

    name: ViewName
    counts: NDArray[np.float32]
    pixel_spacing_mm: tuple[float, float]
    orientation: Orientation = None  # type: ignore[assignment]  # set in __post_init__
    source: ViewSource = field(default_factory=lambda: ViewSource(Path("<memory>")))
    declared_counts: int | None = None
    acquisition_time: datetime | None = None

    def __post_init__(self) -> None:
        array = np.asarray(self.counts, dtype=np.float32)
        if array.ndim != 2:
            raise ValueError(f"a view is a 2-D array, got shape {array.shape}")
        array.flags.writeable = False
        object.__setattr__(self, "counts", array)
        if self.orientation is None:
            conventional = Orientation(patient_left=conventional_patient_left(self.name))  # type: ignore[unreachable]
            object.__setattr__(self, "orientation", conventional)

    @property
    def shape(self) -> tuple[int, int]:
        """The grid size as (rows, columns)."""
        rows, columns = self.counts.shape
        return int(rows), int(columns)

    @cached_property
    def count_scale(self) -> CountScale:
        """What the noise of the pixel values says about them (:mod:`bonescan.noise`), worked out once."""
        return count_scale(self.counts)

    @property
    def total_counts(self) -> float:
        """The sum of all pixel values."""
        return float(self.counts.sum(dtype=np.float64))

    @property
    def patient_left(self) -> ImageSide:
        """The image side that shows the patient's left."""
        return self.orientation.patient_left


@dataclass(frozen=True)
class PatientInfo:
    """Non-identifying patient facts that reading uses."""

    sex: str | None = None
    age_years: float | None = None
    height_cm: float | None = None
    weight_kg: float | None = None


@dataclass(frozen=True)
class Camera:
    """The acquiring device."""

    manufacturer: str | None = None
    model: str | None = None
    station_name: str | None = None
    software_versions: str | None = None


@dataclass(frozen=True)
class StudyMetadata:
    """What reading needs to know about the acquisition, without identifying the patient."""

    study_instance_uid: str | None = None
    series_instance_uids: tuple[str, ...] = ()
    study_date: date | None = None
    study_description: str | None = None
    patient: PatientInfo = field(default_factory=PatientInfo)
    radiopharmaceutical: str | None = None
    radionuclide: str | None = None
    injected_activity_mbq: float | None = None
    injection_time: datetime | None = None
    acquisition_time: datetime | None = None
    camera: Camera = field(default_factory=Camera)

    @property
    def uptake_interval_hours(self) -> float | None:
        """Hours from injection to acquisition, when both are known."""
        if self.injection_time is None or self.acquisition_time is None:
            return None
        injection, acquisition = self.injection_time, self.acquisition_time
        if (injection.tzinfo is None) != (acquisition.tzinfo is None):
            injection, acquisition = (
                injection.replace(tzinfo=None),
                acquisition.replace(tzinfo=None),
            )
        return (acquisition - injection).total_seconds() / 3600.0


@dataclass(frozen=True)
class PatientIdentity:
    """Identifying data, kept apart from everything analysis uses."""

    name: str | None = None
    patient_id: str | None = None
    birth_date: date | None = None
    other_ids: tuple[str, ...] = ()
    accession_number: str | None = None
    institution_name: str | None = None
    referring_physician: str | None = None


@dataclass(frozen=True)
class Study:
    """A whole-body bone scan: one or two views, metadata, identity and quality checks."""

    views: tuple[View, ...]
    metadata: StudyMetadata = field(default_factory=StudyMetadata)
    identity: PatientIdentity = field(default_factory=PatientIdentity)
    pixel_values: PixelValues = PixelValues.COUNTS
    quality: tuple[QualityCheck, ...] = ()

    def __post_init__(self) -> None:
        names = [view.name for view in self.views]
        if not names:
            raise ValueError("a study needs at least one view")
        if len(set(names)) != len(names):
            raise ValueError(f"a study holds each view once, got {[str(n) for n in names]}")
        order = {ViewName.ANTERIOR: 0, ViewName.POSTERIOR: 1}
        object.__setattr__(self, "views", tuple(sorted(self.views, key=lambda v: order[v.name])))

    def view(self, name: ViewName | str) -> View | None:
        """Return the view called ``name``, or None when the study lacks it."""
        wanted = ViewName(name)
        return next((view for view in self.views if view.name is wanted), None)

    @property
    def anterior(self) -> View | None:
        """The anterior view, if present."""
        return self.view(ViewName.ANTERIOR)

    @property
    def posterior(self) -> View | None:
        """The posterior view, if present."""
        return self.view(ViewName.POSTERIOR)

    @property
    def sources(self) -> tuple[Path, ...]:
        """The input files, in view order, each once."""
        return tuple(dict.fromkeys(view.source.path for view in self.views))

    def without_identity(self) -> Study:
        """Return the same study with the identifying data left out."""
        return dataclasses.replace(self, identity=PatientIdentity())

    def with_quality(self, checks: tuple[QualityCheck, ...]) -> Study:
        """Return the same study with ``checks`` appended to its quality findings."""
        return dataclasses.replace(self, quality=self.quality + checks)
