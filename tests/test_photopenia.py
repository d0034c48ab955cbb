"""Photopenic (cold) defects against the other side and the vertebrae above and below.

Tiny documented phantoms with exact or bounded answers (no simulator, no network). The phantom: a
view of 300 x 160 pixels of 2.26 mm; soft tissue of 4 counts per pixel inside the body; two "iliac"
blocks of bone, 40 pixels wide, at 40 counts per pixel (pelvis_right on the image left, pelvis_left on
the image right, mirror images about column 79.5); between them a lumbar spine 16 pixels wide at 40
counts; below each block a "hand" block. Counts are Poisson with a fixed seed.
"""

from __future__ import annotations

import numpy as np

from bonescan.anatomy.landmarks import Landmarks
from bonescan.anatomy.model import Anatomy, ViewAnatomy
from bonescan.classify.judge import COLD_DEFECT_PROBABILITY, judge_findings
from bonescan.detect import SpotKind, detect
from bonescan.detect.photopenia import defect_reference, midline_columns, reflect
from bonescan.detect.reference import normal_uptake
from bonescan.detect.spots import _reference_levels, find_spots
from bonescan.regions import region
from bonescan.study import Study, View, ViewName

ROWS, COLUMNS, SPACING = 300, 160, (2.26, 2.26)
BLOCKS = {
    "pelvis_right": (slice(60, 200), slice(20, 60)),
    "pelvis_left": (slice(60, 200), slice(100, 140)),
    "lumbar_spine": (slice(20, 240), slice(72, 88)),
    "hand_right": (slice(220, 280), slice(20, 50)),
    "hand_left": (slice(220, 280), slice(110, 140)),
}
LEFT_CENTRE = (130, 120)  # the middle of the left block
RIGHT_CENTRE = (130, 39)  # its mirror image (120 + 39 = 159 = twice the midline 79.5)


def _labels() -> np.ndarray:
    labels = np.zeros((ROWS, COLUMNS), dtype=np.uint8)
    labels[10:290, 10:150] = region("soft_tissue").label
    for name, window in BLOCKS.items():
        labels[window] = region(name).label
    return labels


def _disc(centre: tuple[int, int], radius: float) -> np.ndarray:
    rows, columns = np.mgrid[0:ROWS, 0:COLUMNS]
    return np.asarray((rows - centre[0]) ** 2 + (columns - centre[1]) ** 2 <= radius**2)


def _view(changes: list[tuple[np.ndarray, float]], seed: int = 3) -> tuple[View, ViewAnatomy]:
    labels = _labels()
    expected = np.where(labels > 0, 4.0, 0.0)
    expected[labels >= region("skull").label] = 40.0
    expected[labels == region("soft_tissue").label] = 4.0
    for mask, factor in changes:
        expected[mask] *= factor
    counts = np.random.default_rng(seed).poisson(expected).astype(np.float32)
    view = View(ViewName.ANTERIOR, counts, SPACING)
    return view, ViewAnatomy(ViewName.ANTERIOR, labels, labels > 0, Landmarks({}, {}))


def _cold_spots(changes: list[tuple[np.ndarray, float]], seed: int = 3) -> list:
    view, anatomy = _view(changes, seed)
    return [s for s in find_spots(view, anatomy, normal_uptake(view, anatomy)) if s.kind is SpotKind.COLD]


def test_reflect_maps_each_column_onto_its_mirror() -> None:
    """Row 0 reflects about column 2 (twice: 4), row 1 about column 2.5 (twice: 5); outside is 0."""
    image = np.array([[0, 1, 2, 3, 4], [10, 11, 12, 13, 14]], dtype=np.float32)
    reflected, inside = reflect(image, np.array([4, 5]))
    assert reflected.tolist() == [[4, 3, 2, 1, 0], [0, 14, 13, 12, 11]]
    assert inside.tolist() == [[True] * 5, [False, True, True, True, True]]


def test_the_midline_of_a_symmetric_view_is_found_exactly() -> None:
    """Noise-free mirror-image blocks about column 79.5: twice the midline is 159 on every row."""
    _, anatomy = _view([])
    counts = np.where(anatomy.labels >= region("skull").label, 40.0, 0.0)
    bone = counts > 0
    assert set(midline_columns(counts, bone, SPACING).tolist()) == {159}


def test_a_defect_is_measured_against_the_same_place_on_the_other_side() -> None:
    """A disc of radius 6 px keeping 40% of the counts on the left block: about 0.4-0.65 of the right."""
    view, anatomy = _view([(_disc(LEFT_CENTRE, 6), 0.4)])
    reference = defect_reference(view.counts, anatomy.labels, SPACING)
    assert reference.comparable[LEFT_CENTRE]
    assert 0.3 < reference.ratio[LEFT_CENTRE] < 0.65
    assert reference.z[LEFT_CENTRE] > 5
    inner = reference.comparable & (anatomy.labels == region("pelvis_right").label)
    assert 0.85 < float(np.median(reference.ratio[inner])) < 1.15  # the right block is normal


def test_hands_and_the_middle_of_the_body_are_not_compared_with_the_other_side() -> None:
    """Hands differ in posture; on the midline the reflection falls on the place itself."""
    view, anatomy = _view([])
    reference = defect_reference(view.counts, anatomy.labels, SPACING)
    hands = np.isin(anatomy.labels, [region("hand_left").label, region("hand_right").label])
    assert not reference.comparable[hands].any()
    middle_of_spine = (130, 79)
    assert reference.comparable[middle_of_spine]  # by the vertebrae above and below instead


def test_a_vertebra_is_measured_against_the_vertebrae_above_and_below() -> None:
    """A 12 px band of the spine keeping 40%: what it should show is the spine's 40 counts (smoothed)."""
    band = np.zeros((ROWS, COLUMNS), dtype=bool)
    band[124:136, 72:88] = True
    view, anatomy = _view([(band, 0.4)])
    reference = defect_reference(view.counts, anatomy.labels, SPACING)
    assert reference.comparable[130, 80]
    expected = reference.expected[130, 80]
    normal = float(np.median(reference.smoothed[40:100, 78:82]))
    assert 0.85 * normal < expected < 1.15 * normal
    assert reference.ratio[130, 80] < 0.65


def test_a_vertebra_keeping_70_percent_is_a_cold_spot() -> None:
    """A 12 px band across the spine keeping 70%: under 0.75 of the vertebrae above and below."""
    band = np.zeros((ROWS, COLUMNS), dtype=bool)
    band[124:136, 72:88] = True
    spots = _cold_spots([(band, 0.7)])
    assert len(spots) == 1
    row, column = spots[0].centroid
    assert abs(row - 129.5) < 3 and abs(column - 79.5) < 3
    assert spots[0].region == "lumbar_spine"


def test_a_normal_vertebra_between_two_hot_ones_is_not_a_cold_spot() -> None:
    """Bands at 1.4x above and below a normal one: 0.71 of them, but they are not normal bone.

    The vertebrae above and below agree (their mean is the reference), and that reference is over
    1.2 times the spine's normal level, so the normal vertebra between them is no defect.
    """
    above = np.zeros((ROWS, COLUMNS), dtype=bool)
    above[104:124, 72:88] = True
    below = np.zeros((ROWS, COLUMNS), dtype=bool)
    below[136:156, 72:88] = True
    assert _cold_spots([(above, 1.4), (below, 1.4)]) == []


def test_a_clear_defect_is_a_cold_spot_and_a_shallow_one_is_not() -> None:
    """10% of the counts kept (radius 6 px): one cold spot there; 80% kept at the mirror place: none."""
    spots = _cold_spots([(_disc(LEFT_CENTRE, 6), 0.1), (_disc((90, 39), 6), 0.8)])
    assert len(spots) == 1
    row, column = spots[0].centroid
    assert abs(row - LEFT_CENTRE[0]) < 2 and abs(column - LEFT_CENTRE[1]) < 2
    assert spots[0].region == "pelvis_left"
    assert spots[0].local_contrast > 1 / 0.65  # how many times the expected exceeds the defect


def test_normal_bone_and_a_side_faint_all_over_give_no_cold_spot() -> None:
    """Poisson noise only (five seeds), or the whole left block at 50%: no cold spot."""
    for seed in range(5):
        assert _cold_spots([], seed) == []
    left_block = _labels() == region("pelvis_left").label
    assert _cold_spots([(left_block, 0.5)]) == []


def test_a_hot_lesion_does_not_make_the_place_opposite_it_cold() -> None:
    """A disc at 4x on the right block: the normal left block at its mirror place is not a defect."""
    assert _cold_spots([(_disc(RIGHT_CENTRE, 6), 4.0)]) == []


def test_a_clear_hole_opposite_a_bright_place_is_still_a_cold_spot() -> None:
    """A disc at 2x on the right block (a bright joint), and 30% kept at its mirror place on the left.

    The bright place is a hot candidate and lies above 1.5 times its region's level, so neither may
    make a normal place look cold; the left place is not normal but a clear hole in its own bone
    (under 0.5 of the local ceiling), so it is still a cold spot.
    """
    spots = _cold_spots([(_disc(RIGHT_CENTRE, 8), 2.0), (_disc(LEFT_CENTRE, 6), 0.3)])
    assert len(spots) == 1
    row, column = spots[0].centroid
    assert abs(row - LEFT_CENTRE[0]) < 3 and abs(column - LEFT_CENTRE[1]) < 3


def test_a_clear_hole_may_be_compared_with_a_fainter_other_side() -> None:
    """40% kept on the left, 55% at its mirror place on the right: 0.73 of the other side.

    Above the 0.65 of a place that is merely fainter than the other side, but the left place is also a
    clear hole in its own bone (under 0.5 of the local ceiling), so the two signs together make it a
    cold spot; the right place, fainter than its bone but brighter than the left, is none.
    """
    spots = _cold_spots([(_disc(LEFT_CENTRE, 6), 0.4), (_disc(RIGHT_CENTRE, 6), 0.55)])
    assert len(spots) == 1
    row, column = spots[0].centroid
    assert abs(row - LEFT_CENTRE[0]) < 3 and abs(column - LEFT_CENTRE[1]) < 3


def _judged(view: View, anatomy: ViewAnatomy) -> list:
    findings = detect(Study((view,)), Anatomy((anatomy,), "test"))
    return judge_findings(findings.findings)


def test_a_cold_spot_is_reported_as_lytic_or_myeloma_with_the_fixed_probability() -> None:
    """The classifier does not score cold spots: the label and probability are the documented rule's."""
    view, anatomy = _view([(_disc(LEFT_CENTRE, 6), 0.1)])
    cold = [item for item in _judged(view, anatomy) if item.finding.kind is SpotKind.COLD]
    assert len(cold) == 1
    assert cold[0].label == "myeloma_or_lytic"
    assert cold[0].metastasis_probability == COLD_DEFECT_PROBABILITY
    assert any("fewer counts than the bone there would show" in reason for reason in cold[0].reasons)


def _hip_cold_findings(*pieces: np.ndarray) -> list:
    """The hip: pelvis above, femur below, meeting at row 130; a cold core (10%) in a hot rim (3x) there.

    Further cold ``pieces`` (10%) are cut after the rim. Returns the judged cold findings.
    """
    labels = _labels()
    labels[130:200, 100:140] = region("femur_proximal_left").label
    labels[130:200, 20:60] = region("femur_proximal_right").label
    core = _disc((136, 120), 5)
    rim = _disc((136, 120), 9) & ~core
    expected = np.where(labels > 0, 4.0, 0.0)
    expected[labels >= region("skull").label] = 40.0
    expected[rim & (labels >= region("skull").label)] *= 3.0
    expected[np.logical_or.reduce([core, *pieces])] *= 0.1
    counts = np.random.default_rng(5).poisson(expected).astype(np.float32)
    view = View(ViewName.ANTERIOR, counts, SPACING)
    anatomy = ViewAnatomy(ViewName.ANTERIOR, labels, labels > 0, Landmarks({}, {}))
    return [item for item in _judged(view, anatomy) if item.finding.kind is SpotKind.COLD]


def test_a_cold_core_in_a_hot_rim_at_a_joint_is_prosthesis_related() -> None:
    """The hip of :func:`_hip_cold_findings`, its core alone."""
    cold = _hip_cold_findings()
    assert [item.label for item in cold] == ["prosthesis_related"]
    assert cold[0].metastasis_probability < 0.1


def test_a_piece_of_a_prosthesis_core_down_the_femur_is_prosthesis_related() -> None:
    """The hip of :func:`_hip_cold_findings`, and a second cold piece down the femoral shaft.

    That piece lies 38 mm from the joint, so the joint rule alone would call it lytic; it lies 18 mm
    from the core judged prosthesis_related (within 20 mm), so it is part of the prosthesis too.
    """
    cold = _hip_cold_findings(_disc((147, 120), 4))
    assert len(cold) == 2
    assert [item.label for item in cold] == ["prosthesis_related", "prosthesis_related"]


def _narrow_bones_view(keep: float | None, seed: int) -> tuple[View, ViewAnatomy]:
    """Two 14-pixel (32 mm) vertical bones at 40 counts, the right one 3 pixels off the left's mirror.

    The left bone spans columns 104-117, whose mirror about column 79.5 is 42-55; the right bone spans
    45-58 (an arm held a little differently). With ``keep``, a disc of radius 6 pixels centred at
    :data:`NARROW_DEFECT` (3 pixels inside the left bone's outer edge) keeps that share of the counts.
    """
    labels = np.zeros((ROWS, COLUMNS), dtype=np.uint8)
    labels[10:290, 10:150] = region("soft_tissue").label
    labels[40:260, 104:118] = region("humerus_proximal_left").label
    labels[40:260, 45:59] = region("humerus_proximal_right").label
    labels[20:280, 74:86] = region("thoracic_spine").label
    expected = np.where(labels > 0, 4.0, 0.0)
    expected[labels >= region("skull").label] = 40.0
    if keep is not None:
        expected[_disc(NARROW_DEFECT, 6) & (labels == region("humerus_proximal_left").label)] *= keep
    counts = np.random.default_rng(seed).poisson(expected).astype(np.float32)
    view = View(ViewName.ANTERIOR, counts, SPACING)
    return view, ViewAnatomy(ViewName.ANTERIOR, labels, labels > 0, Landmarks({}, {}))


NARROW_DEFECT = (150, 114)


def test_a_defect_near_the_edge_of_a_narrow_bone_is_measured_against_the_other_side_registered() -> None:
    """Half the counts kept: the allowance alone reads above 0.75 there, the registered side <= 0.65.

    The posture allowance takes the lowest reflected value within 7 mm, which at a narrow bone's edge
    is soft tissue; the registered reflection is shifted by the 3 pixels that match the bone around.
    """
    for seed in range(3):
        view, anatomy = _narrow_bones_view(0.5, seed)
        normal = normal_uptake(view, anatomy)
        assert normal.defect.ratio[NARROW_DEFECT] > 0.75
        candidate = _disc(NARROW_DEFECT, 3)
        assert normal.defect.registered(candidate, SPACING).ratio[NARROW_DEFECT] <= 0.65
        cold = [s for s in find_spots(view, anatomy, normal) if s.kind is SpotKind.COLD]
        assert len(cold) == 1
        row, column = cold[0].centroid
        assert abs(row - NARROW_DEFECT[0]) < 3 and abs(column - NARROW_DEFECT[1]) < 3


def test_narrow_bones_a_few_millimetres_out_of_mirror_give_no_cold_spot() -> None:
    """The same two bones without a defect (five seeds): the posture difference alone is no defect."""
    for seed in range(5):
        view, anatomy = _narrow_bones_view(None, seed)
        assert [
            s for s in find_spots(view, anatomy, normal_uptake(view, anatomy)) if s.kind is SpotKind.COLD
        ] == []


def test_a_defect_is_judged_against_the_level_of_the_region_it_is_compared_with() -> None:
    """Most of the left block at 50%: its own level falls, the right block it is compared with keeps 40.

    What a defect is compared with must be normal bone, at most 1.5 times a normal level; a defect
    taking most of its region lowers that region's own level, so the level is the other side's region's.
    """
    most = np.zeros((ROWS, COLUMNS), dtype=bool)
    most[60:170, 100:140] = True
    view, anatomy = _view([(most, 0.5)])
    normal = normal_uptake(view, anatomy)
    centre = (110, 120)
    assert normal.level[centre] < 40 / 1.5  # the left block's own level has fallen with the defect
    levels = _reference_levels(normal)
    assert 0.85 * 40 < levels[centre] < 1.15 * 40  # the right block's level
    assert levels[(130, 80)] == normal.level[(130, 80)]  # the spine keeps its own
