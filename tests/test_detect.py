"""Detection on tiny, documented synthetic views with exact answers (no simulator, no network).

The phantom: a 200x120 view at 2 mm, soft tissue of 4 counts per pixel inside a body rectangle, and
two vertical "femora" (long bones, 10 px wide, 40 counts per pixel, labelled femur_proximal_left and
femur_proximal_right). Lesions are discs added on top. Counts are Poisson with a fixed seed.
"""

from __future__ import annotations

import numpy as np
import pytest

from bonescan.anatomy.landmarks import Landmarks
from bonescan.anatomy.model import Anatomy, ViewAnatomy
from bonescan.detect import SpotKind, detect
from bonescan.detect.measure import view_geometry
from bonescan.detect.pairing import pair_spots
from bonescan.detect.reference import local_background, normal_uptake
from bonescan.detect.spots import find_spots
from bonescan.regions import region
from bonescan.study import Study, View, ViewName

ROWS, COLUMNS, SPACING = 200, 120, (2.0, 2.0)
# Image columns of the two bones; in an anterior view the patient's left is on the image right.
BONE_COLUMNS = {"femur_proximal_right": (30, 40), "femur_proximal_left": (80, 90)}


def _labels(view: ViewName) -> np.ndarray:
    labels = np.zeros((ROWS, COLUMNS), dtype=np.uint8)
    labels[10:190, 10:110] = region("soft_tissue").label
    for name, (first, last) in BONE_COLUMNS.items():
        if view is ViewName.POSTERIOR:  # the posterior view is not mirrored: sides swap columns
            first, last = COLUMNS - last, COLUMNS - first
        labels[20:180, first:last] = region(name).label
    return labels


def _expected(labels: np.ndarray) -> np.ndarray:
    expected = np.where(labels > 0, 4.0, 0.0)
    expected[labels >= region("skull").label] = 40.0
    return expected


def _disc(centre: tuple[int, int], radius: float) -> np.ndarray:
    rows, columns = np.mgrid[0:ROWS, 0:COLUMNS]
    return np.asarray((rows - centre[0]) ** 2 + (columns - centre[1]) ** 2 <= radius**2)


def _view_and_anatomy(
    name: ViewName, lesions: list[tuple[tuple[int, int], float, float]], seed: int = 7
) -> tuple[View, ViewAnatomy]:
    labels = _labels(name)
    expected = _expected(labels)
    for centre, radius, factor in lesions:
        expected[_disc(centre, radius)] *= factor
    counts = np.random.default_rng(seed).poisson(expected).astype(np.float32)
    view = View(name, counts, SPACING)
    return view, ViewAnatomy(name, labels, labels > 0, Landmarks({}, {}))


def _spots(lesions: list[tuple[tuple[int, int], float, float]], seed: int = 7) -> list:
    view, anatomy = _view_and_anatomy(ViewName.ANTERIOR, lesions, seed)
    return find_spots(view, anatomy, normal_uptake(view, anatomy))


def test_normal_bone_gives_no_spot() -> None:
    """Plain bone and soft tissue, Poisson noise only: nothing is found (five noise seeds)."""
    for seed in range(5):
        assert _spots([], seed) == []


def test_hot_disc_is_found_where_it_is() -> None:
    """A disc of radius 4 px at 3x uptake on the right femur: one hot spot at its centre."""
    spots = _spots([((100, 35), 4.0, 3.0)])
    assert len(spots) == 1
    spot = spots[0]
    assert spot.kind is SpotKind.HOT
    assert spot.region == "femur_proximal_right"
    row, column = spot.centroid
    assert abs(row - 100) < 1.5 and abs(column - 35) < 1.5
    assert 2.0 < spot.local_contrast < 3.5
    assert spot.significance > 6.0
    assert spot.measures.reference_ratio > 1.6  # the left femur at the mirrored place is normal


def test_symmetric_spots_have_reference_ratio_near_one() -> None:
    """The same lesion on both femora at the same height: each is about as bright as its mirror."""
    spots = _spots([((100, 35), 4.0, 3.0), ((100, 84), 4.0, 3.0)])
    assert len(spots) == 2
    assert all(0.75 < spot.measures.reference_ratio < 1.33 for spot in spots)


def test_local_background_removes_a_focal_spot_but_keeps_a_long_bone() -> None:
    """The line opening keeps a 10-px wide bone (longer than the line) and removes a small disc."""
    image = np.zeros((ROWS, COLUMNS), dtype=np.float32)
    image[20:180, 30:40] = 40.0
    image[_disc((100, 80), 4.0)] = 100.0
    background = local_background(image, SPACING)
    assert background[100, 35] == pytest.approx(40.0, rel=0.15)
    assert background[100, 80] < 10.0


def test_pairing_joins_the_same_lesion_in_both_views() -> None:
    """A lesion of the left femur at column 85 (anterior) lies at column 34 in the posterior view."""
    front = _view_and_anatomy(ViewName.ANTERIOR, [((100, 85), 4.0, 3.0)])
    back = _view_and_anatomy(ViewName.POSTERIOR, [((101, COLUMNS - 1 - 85), 4.0, 3.0)], seed=8)
    study = Study((front[0], back[0]))
    findings = detect(study, Anatomy((front[1], back[1]), "test"))
    assert len(findings.findings) == 1
    finding = findings.findings[0]
    assert set(finding.spots) == {ViewName.ANTERIOR, ViewName.POSTERIOR}
    assert finding.region == "femur_proximal_left"


def test_kidneys_are_measured_away_from_bone_and_above_the_soft_tissue_beside_them() -> None:
    """Noise-free: bone 10, soft tissue 2, kidneys 5, one kidney lying over the femur's edge.

    The kidneys read 5 (their pixels next to bone are left out), the soft tissue beside them 2, so
    they show (5 - 2) / (10 - 2) = 0.375 of normal bone's activity (normal bone reads a little under 10:
    smoothing dims the bones' edges).
    """
    labels = _labels(ViewName.POSTERIOR)
    kidney = region("kidney_left").label
    labels[60:100, 50:75] = kidney  # clear of bone
    labels[60:100, 20:30] = kidney  # up to the edge of the femur in columns 30-40
    counts = np.where(labels > 0, 2.0, 0.0).astype(np.float32)
    counts[labels >= region("skull").label] = 10.0
    counts[labels == kidney] = 5.0
    view = View(ViewName.POSTERIOR, counts, SPACING)
    reference = normal_uptake(view, ViewAnatomy(ViewName.POSTERIOR, labels, labels > 0, Landmarks({}, {})))
    reference = reference.reference
    assert reference.kidneys == pytest.approx(5.0, abs=1e-3)
    assert reference.beside_kidneys == pytest.approx(2.0, abs=1e-3)
    assert reference.normal_bone == pytest.approx(10.0, abs=0.05)
    assert reference.kidney_to_bone == pytest.approx(0.375, abs=0.005)


def test_pairing_keeps_lesions_of_opposite_sides_apart() -> None:
    """The same image column in both views is the opposite side of the patient: two findings."""
    front = _view_and_anatomy(ViewName.ANTERIOR, [((100, 85), 4.0, 3.0)])
    back = _view_and_anatomy(ViewName.POSTERIOR, [((100, 85), 4.0, 3.0)], seed=8)
    spots = {
        name: find_spots(v, a, normal_uptake(v, a))
        for name, (v, a) in ((ViewName.ANTERIOR, front), (ViewName.POSTERIOR, back))
    }
    findings = pair_spots(
        spots,
        {ViewName.ANTERIOR: front[0], ViewName.POSTERIOR: back[0]},
        {ViewName.ANTERIOR: front[1].body, ViewName.POSTERIOR: back[1].body},
    )
    assert len(findings) == 2
    assert {f.region for f in findings} == {"femur_proximal_left", "femur_proximal_right"}


def test_joint_distance_is_measured_from_where_two_bones_meet() -> None:
    """A femur above a tibia: a pixel 10 rows above their meeting line is about 10 px from the knee."""
    labels = np.zeros((100, 40), dtype=np.uint8)
    labels[10:50, 15:25] = region("femur_distal_left").label
    labels[50:90, 15:25] = region("tibia_fibula_left").label
    geometry = view_geometry(labels, labels > 0, (1.0, 1.0))
    assert geometry.joint_distance_px[50, 20] == 0.0
    assert 7.0 <= geometry.joint_distance_px[38, 20] <= 10.0


def test_an_arm_label_on_the_midline_is_not_taken() -> None:
    """A spot labelled 'hand' in the middle of the trunk takes the spine label next to it; with no
    plausible bone nearby it becomes soft tissue. A hand beside the thigh keeps its label. A proximal
    femur above the iliac crests is not taken either."""
    from bonescan.anatomy.landmarks import Landmark
    from bonescan.detect.plausible import plausible_region

    labels = np.zeros((400, 200), dtype=np.uint8)
    body = np.zeros((400, 200), dtype=bool)
    body[20:390, 20:180] = True
    labels[100:300, 95:105] = region("lumbar_spine").label
    hand = region("hand_right").label
    labels[200:210, 98:108] = hand
    marks = Landmarks(
        {
            name: Landmark(row, 1.0, "test")
            for name, row in (("neck", 60.0), ("shoulders", 80.0), ("iliac_crests", 240.0), ("crotch", 300.0))
        },
        {},
    )
    assert plausible_region(hand, 205, 103, labels, marks, body, 370.0) == region("lumbar_spine").label
    alone = np.where(labels == region("lumbar_spine").label, 0, labels).astype(np.uint8)
    assert plausible_region(hand, 205, 103, alone, marks, body, 370.0) == region("soft_tissue").label
    assert plausible_region(hand, 320, 30, labels, marks, body, 370.0) == hand
    # a proximal femur label above the iliac crests (row 240) is not taken, even within the 5% (18.5
    # row) margin the other limits have (as on NM1's lower lumbar spine); below them it is
    femur = region("femur_proximal_right").label
    assert plausible_region(femur, 230, 103, labels, marks, body, 370.0) == region("lumbar_spine").label
    assert plausible_region(femur, 250, 60, labels, marks, body, 370.0) == femur


def test_the_bladder_in_one_view_is_not_paired_with_a_bone_lesion_in_the_other() -> None:
    """Same place in both views, but the anterior spot is the bladder's: two findings, one organ."""
    import dataclasses

    front = _view_and_anatomy(ViewName.ANTERIOR, [((100, 85), 4.0, 3.0)])
    back = _view_and_anatomy(ViewName.POSTERIOR, [((101, COLUMNS - 1 - 85), 4.0, 3.0)], seed=8)
    spots = {
        name: find_spots(v, a, normal_uptake(v, a))
        for name, (v, a) in ((ViewName.ANTERIOR, front), (ViewName.POSTERIOR, back))
    }
    spots[ViewName.ANTERIOR] = [
        dataclasses.replace(spot, organ="bladder") for spot in spots[ViewName.ANTERIOR]
    ]
    views = {ViewName.ANTERIOR: front[0], ViewName.POSTERIOR: back[0]}
    bodies = {ViewName.ANTERIOR: front[1].body, ViewName.POSTERIOR: back[1].body}
    findings = pair_spots(spots, views, bodies)
    assert len(findings) == 2
    assert sorted(str(f.main.organ) for f in findings) == ["None", "bladder"]
    both = pair_spots(
        {name: [dataclasses.replace(s, organ=None) for s in v] for name, v in spots.items()}, views, bodies
    )
    assert len(both) == 1  # the same spots without the organ pair, as in the test above


def test_urine_in_one_view_takes_the_hot_spot_of_the_other_and_its_rim() -> None:
    """A very hot disc in soft tissue (urine, as anatomy marks it) in the anterior view is one spot
    with the hot pixels joined to it, of organ urine and region soft tissue; the hot disc at the same
    place in the posterior view, where the leg dims it, pairs with it and becomes urine too."""
    import dataclasses

    from bonescan.detect.model import URINE

    front_view, front_anatomy = _view_and_anatomy(ViewName.ANTERIOR, [((120, 60), 8.0, 60.0)])
    back_view, back_anatomy = _view_and_anatomy(
        ViewName.POSTERIOR, [((121, COLUMNS - 1 - 60), 8.0, 4.0)], seed=8
    )
    urine = _disc((120, 60), 6.0)  # the extreme core only: the rim is the detector's to join
    front_anatomy = dataclasses.replace(front_anatomy, urine=urine)
    front_spots = find_spots(front_view, front_anatomy, normal_uptake(front_view, front_anatomy))
    hot = [spot for spot in front_spots if spot.kind is SpotKind.HOT]
    assert len(hot) == 1 and hot[0].organ == URINE and hot[0].region == "soft_tissue"
    assert hot[0].rows.size > urine.sum()
    findings = detect(Study((front_view, back_view)), Anatomy((front_anatomy, back_anatomy), "test"))
    paired = [f for f in findings.findings if len(f.spots) == 2]
    assert len(paired) == 1
    assert {spot.organ for spot in paired[0].spots.values()} == {URINE}
