"""Extreme activity away from the bladder (a catheter's collection bag) on the stick figure and a
simulated catheterised patient: found before labelling, left out of it, reported as an artefact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from bonescan import load_study
from bonescan._body import body_mask, extreme_blobs
from bonescan.anatomy.urine import urine_outside_bladder, without_urine
from bonescan.assessment import analyze, result_document
from tests.phantoms import COLUMNS, ROWS, SPACING, expected_counts

TOP, BOTTOM = 80, 900
LENGTH = BOTTOM - TOP


def _disc(row: float, column: float, radius: float) -> np.ndarray:
    rows, columns = np.mgrid[0:ROWS, 0:COLUMNS]
    return np.asarray((rows - row) ** 2 + (columns - column) ** 2 <= radius**2)


def _counts(mean: np.ndarray, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).poisson(mean * 2.0).astype(np.float32)


def test_a_plain_figure_has_no_extreme_blob() -> None:
    counts = _counts(expected_counts())
    assert not extreme_blobs(counts, SPACING).any()
    assert not urine_outside_bladder(counts, SPACING).any()


def test_a_full_bladder_is_extreme_but_not_urine_outside_it() -> None:
    mean = expected_counts()
    bladder = _disc(TOP + 0.47 * LENGTH, COLUMNS / 2, 12)
    mean[bladder] *= 20.0
    counts = _counts(mean)
    assert extreme_blobs(counts, SPACING)[bladder].all()
    assert not urine_outside_bladder(counts, SPACING).any()


def test_a_bag_beside_a_leg_is_urine_and_a_hot_leg_lesion_is_not() -> None:
    mean = expected_counts()
    bag = _disc(TOP + 0.7 * LENGTH, COLUMNS / 2 + 80, 15)  # beside the left leg, outside the body
    lesion = _disc(TOP + 0.75 * LENGTH, COLUMNS / 2 - 28, 5)  # on the right femur, 5 times bone
    mean[bag] += 1500.0
    mean[lesion] *= 5.0
    counts = _counts(mean)
    urine = urine_outside_bladder(counts, SPACING)
    assert urine[bag].all()
    assert not urine[lesion].any()
    filled = without_urine(counts, urine)
    assert filled[bag].max() < 0.05 * counts[bag].min()  # air around it: the bag is gone
    assert np.array_equal(filled[~urine], counts[~urine])


def test_a_bright_bag_does_not_take_a_faint_figures_legs_out_of_its_outline() -> None:
    """A bag as bright as a bladder beside the leg (a disc of radius 15 pixels, some 700 pixels: more
    than the top 0.5% of the view) set the outline's threshold at 2% of its own counts, and the legs'
    soft tissue fell out of the outline (0.14 of the figure's leg pixels kept). Capped at 4 times the
    bone level, the threshold keeps 0.83 of them; the figure without the bag keeps its outline."""
    rows = np.arange(ROWS)[:, np.newaxis]
    plain = _counts(expected_counts())
    mean = expected_counts()
    mean[_disc(TOP + 0.7 * LENGTH, COLUMNS / 2 + 80, 15)] += 1500.0
    figure = body_mask(plain)
    legs = figure & (rows > TOP + 0.55 * LENGTH)
    assert body_mask(_counts(mean))[legs].mean() >= 0.8
    smooth = ndimage.gaussian_filter(plain, 2.0)
    threshold = 0.02 * np.percentile(smooth[smooth > 0], 99.5)  # the cap does not bind without the bag
    assert np.array_equal(figure, ndimage.binary_fill_holes(smooth > threshold))


@pytest.fixture(scope="module")
def catheter_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bonescan.simulate.cohort import CohortConfig, write_cohort

    config = CohortConfig(1, 99, catheters=1.0)  # every patient has one
    return write_cohort(tmp_path_factory.mktemp("catheter") / "sim", config) / "case00001"


def test_a_collection_bag_is_reported_as_an_artefact_and_not_as_bone(catheter_case: Path) -> None:
    import json

    truth = json.loads((catheter_case / "baseline.truth.json").read_text())
    bag = next(f for f in truth["findings"] if f["kind"] == "catheter_bag")
    assert truth["tracer_distribution"]["bladder"] < 0.01  # the bladder is drained
    assessment = analyze(load_study(catheter_case / "baseline.dcm"))
    document = result_document(assessment)
    footprint = (
        np.load(catheter_case / "baseline.maps.npz")["findings_anterior"] == bag["id"]
    )  # with the tube
    on_bag = [
        spot
        for spot in document["hotspots"]
        if spot["view"] == "anterior" and footprint[round(spot["row"]), round(spot["column"])]
    ]
    assert on_bag
    assert all(
        spot["label"] in ("artefact", "physiological") for spot in on_bag
    )  # the tube starts in the bladder
    artefacts = [spot for spot in document["hotspots"] if spot["label"] == "artefact"]
    assert {spot["view"] for spot in artefacts} == {"anterior", "posterior"}  # seen through the leg too
    assert all(
        spot["metastasis_probability"] < 0.05 and spot["region"] == "soft_tissue" for spot in artefacts
    )
    assert any("collection bag" in " ".join(item.reasons) for item in assessment.judged)
    anterior = assessment.anatomy.view("anterior")
    assert anterior is not None and anterior.urine is not None
    assert anterior.regions["femur_proximal_left"].missing_reason is None
    assert anterior.regions["femur_proximal_right"].missing_reason is None


def test_a_remembered_body_outline_is_the_outline_of_that_very_image() -> None:
    """The outline is kept per image content: asking again gives an equal copy, a changed image its own."""
    image = np.zeros((60, 40), dtype=np.float32)
    image[10:50, 10:30] = 100.0
    first = body_mask(image)
    first[:] = False  # the caller's copy: the remembered outline must not change with it
    again = body_mask(image.copy())
    assert again[30, 20] and not again[5, 5] and int(again.sum()) > 700
    image[10:50, 10:20] = 0.0
    narrower = body_mask(image)
    assert int(narrower.sum()) < int(again.sum()) and not narrower[30, 12]
