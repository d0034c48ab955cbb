"""Skeleton labelling: landmarks, the canonical grid, the shipped network, outputs and evaluation."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from scipy import ndimage

from bonescan import load_study, write_nm_image
from bonescan.anatomy import find_landmarks, segment
from bonescan.anatomy.consistency import keep_leg_order
from bonescan.anatomy.grid import from_canonical, to_canonical
from bonescan.anatomy.landmarks import Landmark
from bonescan.anatomy.network import load_network, network_inputs
from bonescan.anatomy.refine import BONE_LABELS, BoneRefiner, load_refiner, refined_bone
from bonescan.anatomy.segment import view_probabilities
from bonescan.cli import cli
from bonescan.evaluate import evaluate_anatomy
from bonescan.regions import region
from bonescan.simulate.cohort import CohortConfig, write_cohort
from bonescan.study import View, ViewName

# Seeds of test cohorts; the network was trained on cohorts 1001-1002 and is reported on 7001.
TEST_COHORT = CohortConfig(cases=4, seed=424242)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cohort(tmp_path_factory.mktemp("anatomy") / "cohort", TEST_COHORT)


@pytest.fixture(scope="module")
def simulated(cohort: Path):
    return load_study(cohort / "case00001" / "baseline.dcm")


@pytest.fixture(scope="module")
def nm1(shared_data: Path):
    return load_study(shared_data / "nm1" / "NM1_UNC.dcm")


def _centroid_column(labels: np.ndarray, name: str) -> float:
    return float(np.argwhere(labels == region(name).label)[:, 1].mean())


def test_canonical_grid_keeps_intensity_and_round_trips() -> None:
    rows, columns = np.mgrid[0:1024, 0:256]
    smooth = (np.sin(rows / 80.0) + np.cos(columns / 30.0) + 3).astype(np.float32)
    canonical = to_canonical(smooth, (2.26, 2.26))
    assert canonical.shape == (512, 128)
    assert canonical[100:400, 20:100].mean() == pytest.approx(smooth[200:800, 40:200].mean(), rel=0.01)
    back = from_canonical(canonical[np.newaxis], (1024, 256), (2.26, 2.26))[0]
    assert np.abs(back - smooth)[20:-20, 20:-20].max() < 0.02


def test_a_finer_grid_lands_on_the_same_canonical_pixels() -> None:
    coarse = np.zeros((1024, 256), np.float32)
    coarse[400:440, 100:140] = 1.0
    fine = np.repeat(np.repeat(coarse, 2, axis=0), 2, axis=1)
    a, b = to_canonical(coarse, (2.26, 2.26)), to_canonical(fine, (1.13, 1.13))
    assert np.abs(a - b).max() < 0.05


def test_real_scan_landmarks_fall_in_plausible_rows(nm1) -> None:
    points = find_landmarks(nm1.anterior.counts, nm1.anterior.pixel_spacing_mm).points
    rows = {name: point.row for name, point in points.items()}
    assert 70 <= rows["vertex"] <= 110
    assert 190 <= rows["shoulders"] <= 240
    assert 350 <= rows["iliac_crests"] <= 410
    assert 450 <= rows["crotch"] <= 520
    assert 590 <= rows["knees"] <= 640
    assert 830 <= rows["soles"] <= 880
    order = ["vertex", "neck", "shoulders", "iliac_crests", "crotch", "knees", "soles"]
    assert [rows[name] for name in order] == sorted(rows[name] for name in order)


def test_simulated_landmarks_agree_with_the_truth(cohort: Path, simulated) -> None:
    truth = np.load(cohort / "case00001" / "baseline.maps.npz")["labels_anterior"]
    points = find_landmarks(simulated.anterior.counts, simulated.anterior.pixel_spacing_mm).points
    pelvis = np.flatnonzero(
        np.isin(truth, [region("pelvis_left").label, region("pelvis_right").label]).any(1)
    )
    knee_bones = np.isin(truth, [region("femur_distal_left").label, region("tibia_fibula_left").label])
    femur_end = np.flatnonzero((truth == region("femur_distal_left").label).any(1)).max()
    assert abs(points["iliac_crests"].row - pelvis.min()) < 25
    assert abs(points["knees"].row - femur_end) < 25
    assert knee_bones.any()


def test_segmentation_of_a_held_out_simulated_scan(cohort: Path, simulated) -> None:
    anatomy = segment(simulated)
    maps = np.load(cohort / "case00001" / "baseline.maps.npz")
    for view in simulated.views:
        labels = anatomy.view(view.name).labels
        truth = maps[f"labels_{view.name}"]
        assert labels.shape == view.shape and labels.dtype == np.uint8
        for name in ("skull", "thoracic_spine", "lumbar_spine", "pelvis_left", "femur_proximal_right"):
            if region(name).best_view.value not in ("both", view.name.value):
                continue  # e.g. the thoracic spine hides behind the sternum in the anterior view
            mask, true = labels == region(name).label, truth == region(name).label
            score = 2 * (mask & true).sum() / (mask.sum() + true.sum())
            assert score > 0.8, (view.name, name, score)


def _bone_dice(mask: np.ndarray, truth: np.ndarray) -> float:
    true = np.isin(truth, BONE_LABELS)
    return float(2 * (mask & true).sum() / (mask.sum() + true.sum()))


def test_the_edge_refiner_brings_bone_closer_to_the_truth(cohort: Path, simulated) -> None:
    network, refiner = load_network(), load_refiner()
    scores = network.run(network_inputs(simulated.views))
    maps = np.load(cohort / "case00001" / "baseline.maps.npz")
    for index, view in enumerate(simulated.views):
        truth = view.orientation.apply(maps[f"labels_{view.name}"])
        body = segment(simulated).view(view.name).body
        probability = view_probabilities(view, scores[index])[BONE_LABELS].sum(axis=0)
        refined = refined_bone(refiner, view.counts, probability, body, view.pixel_spacing_mm)
        network_only = _bone_dice((probability > 0.5) & body, truth)
        assert _bone_dice(refined, truth) > network_only + 0.005, view.name


_PINNED_CHILD = (
    "import os\n"
    "os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
    "from bonescan.anatomy._onnx import restricted_threads\n"
    "print(restricted_threads())\n"
)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this system")
def test_a_process_pinned_to_one_cpu_runs_the_networks_on_one_thread() -> None:
    """Pinned to one CPU of several, the networks get one thread (onnxruntime's default would use more)."""
    printed = subprocess.run(
        [sys.executable, "-c", _PINNED_CHILD], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert printed == ("1" if (os.cpu_count() or 1) > 1 else "None")


def test_the_networks_run_on_the_cpus_the_process_may_use_with_the_same_outputs(simulated) -> None:
    inputs = network_inputs(simulated.views)
    default, one_thread, two_threads = (load_network(threads=t).run(inputs) for t in (None, 1, 2))
    assert np.array_equal(default, one_thread)
    assert np.array_equal(one_thread, two_threads)
    body = segment(simulated).view(ViewName.ANTERIOR).body
    probability = view_probabilities(simulated.anterior, default[0])[BONE_LABELS].sum(axis=0)
    view = simulated.anterior
    one, two = (
        refined_bone(load_refiner(threads=threads), view.counts, probability, body, view.pixel_spacing_mm)
        for threads in (1, 2)
    )
    assert np.array_equal(one, two)


def test_the_shipped_refiner_treats_a_view_and_its_mirror_image_alike(simulated) -> None:
    """The bone found in a mirrored view is the mirror of the bone found in the view."""
    view = simulated.anterior
    body = segment(simulated).view(ViewName.ANTERIOR).body
    probability = view_probabilities(view, load_network().run(network_inputs(simulated.views))[0])
    bone_probability = probability[BONE_LABELS].sum(axis=0)
    direct = refined_bone(load_refiner(), view.counts, bone_probability, body, view.pixel_spacing_mm)
    mirrored = refined_bone(
        load_refiner(), view.counts[:, ::-1], bone_probability[:, ::-1], body[:, ::-1], view.pixel_spacing_mm
    )
    # Sums in another order may tip a pixel whose score is 0 to rounding; none did on this view.
    assert np.array_equal(direct, mirrored[:, ::-1])


def _counting(refiner: BoneRefiner, equivariant: bool) -> tuple[BoneRefiner, list[int]]:
    calls: list[int] = []

    def run(inputs: np.ndarray) -> np.ndarray:
        calls.append(1)
        return refiner.run(inputs)

    description = {**refiner.description, "mirror_equivariant": equivariant}
    return BoneRefiner(run, description), calls


def test_a_refiner_built_to_commute_with_mirroring_runs_once_a_view(simulated) -> None:
    view = simulated.anterior
    body = segment(simulated).view(ViewName.ANTERIOR).body
    probability = np.clip(ndimage.gaussian_filter(view.counts, 3) / np.percentile(view.counts, 99), 0, 1)
    plain, plain_calls = _counting(load_refiner(), equivariant=False)
    built, built_calls = _counting(load_refiner(), equivariant=True)
    for refiner in (plain, built):
        refined_bone(refiner, view.counts, probability, body, view.pixel_spacing_mm)
    assert (len(plain_calls), len(built_calls)) == (2, 1)


def test_a_finer_view_is_refined_on_the_refiner_grid(simulated) -> None:
    view = simulated.anterior
    fine = np.repeat(np.repeat(view.counts, 2, axis=0), 2, axis=1) / 4
    spacing = (view.pixel_spacing_mm[0] / 2, view.pixel_spacing_mm[1] / 2)
    body = np.repeat(np.repeat(segment(simulated).view(ViewName.ANTERIOR).body, 2, axis=0), 2, axis=1)
    probability = np.clip(ndimage.gaussian_filter(fine, 6) / np.percentile(fine, 99), 0, 1)
    coarse_bone = refined_bone(
        load_refiner(), view.counts, probability[::2, ::2], body[::2, ::2], view.pixel_spacing_mm
    )
    fine_bone = refined_bone(load_refiner(), fine, probability, body, spacing)
    assert fine_bone.shape == fine.shape
    agreement = (
        2 * (fine_bone[::2, ::2] & coarse_bone).sum() / (fine_bone[::2, ::2].sum() + coarse_bone.sum())
    )
    assert agreement > 0.9


def test_left_and_right_follow_each_view_convention(simulated) -> None:
    anatomy = segment(simulated)
    anterior = anatomy.view(ViewName.ANTERIOR).labels
    posterior = anatomy.view(ViewName.POSTERIOR).labels
    # anterior: the patient's left on the image right; posterior (not mirrored): on the image left
    assert _centroid_column(anterior, "femur_proximal_left") > _centroid_column(
        anterior, "femur_proximal_right"
    )
    assert _centroid_column(posterior, "femur_proximal_left") < _centroid_column(
        posterior, "femur_proximal_right"
    )


def test_the_real_scan_bladder_knees_and_sides(nm1) -> None:
    view = nm1.anterior
    labels = segment(nm1).view(ViewName.ANTERIOR).labels
    hottest = np.unravel_index(np.argmax(view.counts), view.shape)  # the bladder, at 278 counts
    assert labels[hottest] == region("bladder").label
    knees = find_landmarks(view.counts, view.pixel_spacing_mm).points["knees"]
    knee_row = int(knees.row)
    band = labels[knee_row - 8 : knee_row + 9]
    for image_side, patient_side in (("image_left", "right"), ("image_right", "left")):
        column = int(knees.columns[image_side])
        names = {region(f"femur_distal_{patient_side}").label, region(f"tibia_fibula_{patient_side}").label}
        assert names & set(np.unique(band[:, column - 3 : column + 4]).tolist()), image_side
    kidneys = {region("kidney_left").label, region("kidney_right").label}
    assert not np.isin(labels[knee_row - 40 :], list(kidneys)).any()  # no kidney below the knees


def test_the_real_scan_has_a_femur_above_each_knee(nm1) -> None:
    # The network alone called NM1's left thigh "tibia"; the knee rule puts the femur back.
    anterior = segment(nm1).view(ViewName.ANTERIOR)
    for side in ("left", "right"):
        assert anterior.regions[f"femur_distal_{side}"].missing_reason is None, side


def test_leg_bone_on_the_wrong_side_of_the_knees_is_relabelled() -> None:
    tibia, distal = region("tibia_fibula_left").label, region("femur_distal_left").label
    proximal_right = region("femur_proximal_right").label
    labels = np.zeros((100, 4), dtype=np.uint8)
    labels[:, 0] = tibia  # a whole left leg called tibia
    labels[:, 1] = proximal_right  # a whole right leg called femur
    knees = Landmark(row=50.0, confidence=0.9, method="test")
    fixed = keep_leg_order(labels, knees, row_spacing_mm=2.0)  # margin: 40 mm = 20 rows
    assert (fixed[:30, 0] == distal).all() and (fixed[30:, 0] == tibia).all()
    assert (fixed[:71, 1] == proximal_right).all()
    assert (fixed[71:, 1] == region("tibia_fibula_right").label).all()
    assert (fixed[:, 2:] == 0).all()
    uncertain = Landmark(row=50.0, confidence=0.5, method="test")
    assert keep_leg_order(labels, uncertain, row_spacing_mm=2.0) is labels


def test_a_knee_landmark_where_knees_do_not_lie_is_not_used() -> None:
    """Vertex at row 0, soles at row 1000: a knee row at 930 (0.93 of the body: the ankles, where a
    catheter's tube across the thighs put it on dev-5111 case00017) would turn the tibiae into femur;
    it is not used. At 700 (0.70) it acts; without the vertex and soles it acts as before."""
    tibia, distal = region("tibia_fibula_left").label, region("femur_distal_left").label
    labels = np.zeros((1000, 2), dtype=np.uint8)
    labels[450:700, 0], labels[700:950, 0] = distal, tibia  # the network's legs, rightly labelled
    vertex, soles = (Landmark(row=row, confidence=1.0, method="test") for row in (0.0, 1000.0))
    ankles = Landmark(row=930.0, confidence=0.9, method="test")
    assert keep_leg_order(labels, ankles, 1.0, vertex, soles) is labels
    assert (keep_leg_order(labels, ankles, 1.0)[700:890, 0] == distal).all()  # the rule without them
    knees = Landmark(row=700.0, confidence=0.9, method="test")
    assert np.array_equal(keep_leg_order(labels, knees, 1.0, vertex, soles), labels)  # nothing wrong


def test_a_cut_off_head_is_reported_missing(simulated) -> None:
    anterior = simulated.anterior
    top = int(np.flatnonzero((anterior.counts > 0).any(1))[0])
    cut = np.array(anterior.counts)[top + 140 :]
    study = dataclasses.replace(simulated, views=(View(ViewName.ANTERIOR, cut, anterior.pixel_spacing_mm),))
    missing = segment(study).view(ViewName.ANTERIOR).missing
    assert missing.get("skull") == "cut off at the top of the image"


def test_segment_cli_writes_stored_grid_label_maps(tmp_path: Path, simulated) -> None:
    stored = write_nm_image(simulated, tmp_path / "scan.dcm")
    import pydicom

    dataset = pydicom.dcmread(stored)
    dataset.PixelData = np.ascontiguousarray(dataset.pixel_array[:, ::-1, ::-1]).tobytes()  # head-down
    dataset.save_as(tmp_path / "down.dcm")
    out = tmp_path / "anatomy"
    result = CliRunner().invoke(cli, ["segment", str(tmp_path / "down.dcm"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    description = json.loads((out / "anatomy.json").read_text())
    assert description["legend"]["35"] == "bladder"
    upright = segment(load_study(tmp_path / "down.dcm")).view(ViewName.ANTERIOR).labels
    with Image.open(out / "anterior_labels.png") as image:
        assert np.array_equal(np.asarray(image), upright[::-1, ::-1])
    assert (out / "posterior_overlay.png").is_file()
    again = CliRunner().invoke(cli, ["segment", str(tmp_path / "down.dcm"), "-o", str(out)])
    assert again.exit_code == 2 and "not empty" in again.stderr


def test_evaluate_anatomy_reports_dice_per_region(cohort: Path, tmp_path: Path) -> None:
    figures = evaluate_anatomy(cohort, limit=2).as_dict()
    assert figures["scans"] == 2
    assert 0.0 <= figures["mean_bone_dice"] <= 1.0
    assert figures["regions"]["skull"]["pairs"] == 4
    result = CliRunner().invoke(
        cli, ["evaluate", "anatomy", str(cohort), "--limit", "1", "--json", str(tmp_path / "f.json")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "f.json").read_text())["scans"] == 1


def test_an_eight_bit_export_and_a_single_view_are_labelled(cohort: Path, simulated, tmp_path: Path) -> None:
    truth = np.load(cohort / "case00001" / "baseline.maps.npz")["labels_posterior"]
    posterior = simulated.posterior
    grey = np.clip(posterior.counts / np.percentile(posterior.counts, 99.5) * 255, 0, 255).astype(np.uint8)
    Image.fromarray(255 - grey).save(tmp_path / "wb_post.png")  # dark on white, as exported
    export = load_study(posterior=tmp_path / "wb_post.png", pixel_spacing_mm=posterior.pixel_spacing_mm)
    labels = segment(export).view(ViewName.POSTERIOR).labels
    assert len(export.views) == 1
    for name in ("skull", "lumbar_spine", "pelvis_right", "femur_distal_left"):
        mask, true = labels == region(name).label, truth == region(name).label
        assert 2 * (mask & true).sum() / (mask.sum() + true.sum()) > 0.8, name


def test_knees_fall_back_to_body_proportions_when_the_legs_have_no_outline() -> None:
    """A body outline with nothing between crotch and soles (a view dimmed by a bright bag of urine
    before that was handled) gives the proportional knee row instead of failing."""
    from bonescan._body import BodyExtent
    from bonescan.anatomy.landmarks import _knees

    mask = np.zeros((1000, 200), dtype=bool)
    mask[100:450, 60:140] = True
    mask[900:950, 70:90] = True  # the feet alone
    smooth = mask.astype(np.float32)
    knees = _knees(smooth, BodyExtent(mask), crotch=450.0)
    assert knees.confidence == 0.3 and "proportions" in knees.method
    assert 450 < knees.row < 950
