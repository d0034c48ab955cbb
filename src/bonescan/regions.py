"""The region registry: every label bonescan uses for a pixel of a whole-body view.

Each :class:`Region` has a fixed integer ``label`` (used in label maps and DICOM segmentations), the
patient side it belongs to, the view that shows it best, whether it belongs to the axial skeleton where
about 90% of metastases lie, and its share of skeletal mass for the Bone Scan Index.

Skeletal mass fractions
-----------------------
The shares follow the weights of the manual BSI (Imbriaco et al., Clin Cancer Res 1998, from Spiers'
data), in percent of skeletal mass: skull without mandible 16.6, mandible 1.8, spine and sacrum 8.3,
sternum 0.3, ribs 4.4, clavicle 0.5, scapula 1.5, humerus 3.3, ulna 1.5 + radius 1.2, hand 1.5,
pelvis 7.5, femur 8.9, tibia 5.1 + fibula 1.3, foot 5.8 (paired bones: each side). bonescan splits
them into its regions as follows, and says so because the split is its own: spine and sacrum 8.3 as
cervical 1.3, thoracic 3.2, lumbar 2.4, sacrum 1.4; humerus and femur halved into proximal and distal;
pelvis and ribs halved by side. The published weights add up to 100.1%; :func:`mass_fraction`
normalises them to sum to exactly 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

__all__ = [
    "REGIONS",
    "Laterality",
    "Region",
    "RegionKind",
    "bone_regions",
    "mass_fraction",
    "region",
    "region_by_label",
]


class RegionKind(StrEnum):
    """What a region is."""

    BONE = "bone"
    ORGAN = "organ"
    SOFT_TISSUE = "soft_tissue"
    BACKGROUND = "background"


class Laterality(StrEnum):
    """The patient side a region belongs to."""

    LEFT = "left"
    RIGHT = "right"
    MIDLINE = "midline"


class BestView(StrEnum):
    """The projection that shows a region best."""

    ANTERIOR = "anterior"
    POSTERIOR = "posterior"
    BOTH = "both"


@dataclass(frozen=True)
class Region:
    """One entry of the registry."""

    name: str
    label: int
    kind: RegionKind
    laterality: Laterality
    best_view: BestView
    axial: bool
    mass_percent: float
    description: str


def _bone(
    name: str, label: int, side: Laterality, view: BestView, axial: bool, mass: float, text: str
) -> Region:
    return Region(name, label, RegionKind.BONE, side, view, axial, mass, text)


_L, _R, _M = Laterality.LEFT, Laterality.RIGHT, Laterality.MIDLINE
_A, _P, _B = BestView.ANTERIOR, BestView.POSTERIOR, BestView.BOTH

REGIONS: tuple[Region, ...] = (
    Region("background", 0, RegionKind.BACKGROUND, _M, _B, False, 0.0, "outside the body"),
    Region("soft_tissue", 1, RegionKind.SOFT_TISSUE, _M, _B, False, 0.0, "body, not bone"),
    _bone("skull", 2, _M, _B, True, 16.6, "cranium, without the mandible"),
    _bone("facial_mandible", 3, _M, _A, False, 1.8, "facial bones and mandible"),
    _bone("cervical_spine", 4, _M, _P, True, 1.3, "C1-C7"),
    _bone("thoracic_spine", 5, _M, _P, True, 3.2, "T1-T12"),
    _bone("lumbar_spine", 6, _M, _P, True, 2.4, "L1-L5"),
    _bone("sacrum", 7, _M, _P, True, 1.4, "sacrum and coccyx"),
    _bone("sternum", 8, _M, _A, True, 0.3, "manubrium and body of the sternum"),
    _bone("ribs_left", 9, _L, _B, True, 2.2, "left ribs 1-12"),
    _bone("ribs_right", 10, _R, _B, True, 2.2, "right ribs 1-12"),
    _bone("clavicle_left", 11, _L, _A, False, 0.5, "left clavicle"),
    _bone("clavicle_right", 12, _R, _A, False, 0.5, "right clavicle"),
    _bone("scapula_left", 13, _L, _P, False, 1.5, "left scapula"),
    _bone("scapula_right", 14, _R, _P, False, 1.5, "right scapula"),
    _bone("humerus_proximal_left", 15, _L, _B, True, 1.65, "upper half of the left humerus"),
    _bone("humerus_proximal_right", 16, _R, _B, True, 1.65, "upper half of the right humerus"),
    _bone("humerus_distal_left", 17, _L, _B, False, 1.65, "lower half of the left humerus"),
    _bone("humerus_distal_right", 18, _R, _B, False, 1.65, "lower half of the right humerus"),
    _bone("forearm_left", 19, _L, _B, False, 2.7, "left radius and ulna"),
    _bone("forearm_right", 20, _R, _B, False, 2.7, "right radius and ulna"),
    _bone("hand_left", 21, _L, _B, False, 1.5, "left carpus, metacarpals and phalanges"),
    _bone("hand_right", 22, _R, _B, False, 1.5, "right carpus, metacarpals and phalanges"),
    _bone("pelvis_left", 23, _L, _B, True, 3.75, "left ilium, ischium and pubis"),
    _bone("pelvis_right", 24, _R, _B, True, 3.75, "right ilium, ischium and pubis"),
    _bone("femur_proximal_left", 25, _L, _B, True, 4.45, "upper half of the left femur"),
    _bone("femur_proximal_right", 26, _R, _B, True, 4.45, "upper half of the right femur"),
    _bone("femur_distal_left", 27, _L, _B, False, 4.45, "lower half of the left femur"),
    _bone("femur_distal_right", 28, _R, _B, False, 4.45, "lower half of the right femur"),
    _bone("tibia_fibula_left", 29, _L, _B, False, 6.4, "left tibia and fibula"),
    _bone("tibia_fibula_right", 30, _R, _B, False, 6.4, "right tibia and fibula"),
    _bone("foot_left", 31, _L, _B, False, 5.8, "left tarsus, metatarsals and phalanges"),
    _bone("foot_right", 32, _R, _B, False, 5.8, "right tarsus, metatarsals and phalanges"),
    Region("kidney_left", 33, RegionKind.ORGAN, _L, _P, False, 0.0, "left kidney"),
    Region("kidney_right", 34, RegionKind.ORGAN, _R, _P, False, 0.0, "right kidney"),
    Region("bladder", 35, RegionKind.ORGAN, _M, _A, False, 0.0, "urinary bladder"),
)


@cache
def _by_name() -> dict[str, Region]:
    return {entry.name: entry for entry in REGIONS}


@cache
def _by_label() -> dict[int, Region]:
    return {entry.label: entry for entry in REGIONS}


def region(name: str) -> Region:
    """Return the region called ``name``.

    Raises
    ------
    KeyError
        With the known names listed, when ``name`` is not one of them.
    """
    try:
        return _by_name()[name]
    except KeyError:
        known = ", ".join(_by_name())
        raise KeyError(f"unknown region {name!r}; known regions: {known}") from None


def region_by_label(label: int) -> Region:
    """Return the region whose label-map value is ``label``."""
    return _by_label()[label]


def bone_regions() -> tuple[Region, ...]:
    """Return the bone regions, in label order."""
    return tuple(entry for entry in REGIONS if entry.kind is RegionKind.BONE)


def mass_fraction(name: str) -> float:
    """Return the share of total skeletal mass of a region, normalised so bones sum to 1."""
    total = sum(entry.mass_percent for entry in bone_regions())
    return region(name).mass_percent / total
