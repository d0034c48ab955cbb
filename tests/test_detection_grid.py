"""Views with other pixel sizes: detection runs on a 2.26 mm grid and reports on the view's own grid.

Tiny exact cases for the rebinning and the mapping back, then one simulated patient whose scan is
given at 1.13 mm (each count sent to one of the four sub-pixels of its pixel, so that 2 x 2 binning
gives the original back exactly) and must read as at 2.26 mm.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest

from bonescan.anatomy.landmarks import Landmark, Landmarks
from bonescan.anatomy.model import ViewAnatomy
from bonescan.detect.grid import DetectionGrid, rebinned_counts
from bonescan.detect.measure import SpotMeasures
from bonescan.detect.model import Spot, SpotKind
from bonescan.study import View, ViewName
from tests.conftest import dciodvfy_errors


def test_whole_factor_rebinning_sums_the_counts() -> None:
    """4 x 4 pixels of 1.13 mm become 2 x 2 of 2.26 mm, each the sum of its 2 x 2 block."""
    counts = np.arange(16, dtype=np.float32).reshape(4, 4)
    rebinned, spacing = rebinned_counts(counts, (1.13, 1.13))
    assert spacing == pytest.approx((2.26, 2.26))
    assert rebinned.tolist() == [[0 + 1 + 4 + 5, 2 + 3 + 6 + 7], [8 + 9 + 12 + 13, 10 + 11 + 14 + 15]]


def test_other_factors_share_counts_by_overlap_and_keep_the_total() -> None:
    """Three pixels of 3.39 mm (10.17 mm) become round(10.17 / 2.26) = 4 pixels of 2.5425 mm.

    The first new pixel takes 0.75 of the first old one (4 counts: 3), the second the other 0.25 (1)
    and half of the next (8: 4), and so on; the total is kept.
    """
    counts = np.array([[4.0, 8.0, 12.0]], dtype=np.float32)
    rebinned, spacing = rebinned_counts(counts, (2.26, 3.39))  # one row of 2.26 mm stays one row
    assert spacing[1] == pytest.approx(2.5425)
    assert rebinned[0].tolist() == pytest.approx([3.0, 1.0 + 4.0, 4.0 + 3.0, 9.0])
    assert rebinned.sum() == pytest.approx(counts.sum())


def _spot(rows: list[int], columns: list[int], core: list[bool]) -> Spot:
    return Spot(
        ViewName.ANTERIOR,
        SpotKind.HOT,
        np.array(rows),
        np.array(columns),
        "femur_proximal_left",
        10.0,
        3.0,
        2.5,
        20.0,
        1.0,
        3.0,
        2.5,
        2.5,
        0.5,
        SpotMeasures(2.0, 100.0, 1.0, 0.1, None),
        (2.26, 2.26),
        core=np.array(core),
    )


def test_a_spot_maps_back_onto_every_pixel_whose_centre_it_holds() -> None:
    """On a view of 1.13 mm pixels, a detection-grid pixel covers a 2 x 2 block; the core goes along."""
    view = View(ViewName.ANTERIOR, np.ones((8, 8), dtype=np.float32), (1.13, 1.13))
    grid = DetectionGrid.for_view(view)
    assert grid is not None and grid.grid.shape == (4, 4)
    back = grid.spot(_spot([1, 1], [2, 3], [True, False]))
    assert list(zip(back.rows.tolist(), back.columns.tolist(), strict=True)) == [
        (2, 4), (2, 5), (2, 6), (2, 7), (3, 4), (3, 5), (3, 6), (3, 7)
    ]  # fmt: skip
    assert back.core is not None and back.core.tolist() == [True, True, False, False] * 2
    assert back.pixel_spacing_mm == (1.13, 1.13)
    assert back.centroid == pytest.approx((2.5, 5.5))


def test_the_anatomy_follows_the_view_onto_the_detection_grid() -> None:
    """Labels by nearest neighbour, landmark rows to the same place in mm."""
    view = View(ViewName.ANTERIOR, np.ones((8, 8), dtype=np.float32), (1.13, 1.13))
    labels = np.zeros((8, 8), dtype=np.uint8)
    labels[4:, :] = 7
    knee = Landmark(5.5, 1.0, "test", {"left": 1.5})
    anatomy = ViewAnatomy(ViewName.ANTERIOR, labels, labels > 0, Landmarks({"knees": knee}, {}))
    grid = DetectionGrid.for_view(view)
    assert grid is not None
    moved = grid.anatomy(anatomy)
    assert moved.labels.tolist() == [[0] * 4, [0] * 4, [7] * 4, [7] * 4]
    assert moved.landmarks.points["knees"].row == pytest.approx(2.5)
    assert moved.landmarks.points["knees"].columns["left"] == pytest.approx(0.5)


def test_views_of_usual_pixel_sizes_are_taken_as_they_are() -> None:
    for spacing in ((2.0, 2.0), (2.26, 2.26), (2.4, 2.4), (2.6, 2.6)):
        assert DetectionGrid.for_view(View(ViewName.ANTERIOR, np.ones((4, 4), np.float32), spacing)) is None


def _split_into_quarters(source: Path, target: Path) -> None:
    """Write the scan at half the pixel size, each count going to one of its pixel's four quarters."""
    dataset = pydicom.dcmread(source)
    frames = dataset.pixel_array.astype(np.int64)
    rng = np.random.default_rng(0)
    fine = np.zeros((frames.shape[0], 2 * frames.shape[1], 2 * frames.shape[2]), dtype=np.int64)
    left = frames
    for quarter in range(4):
        part = rng.binomial(left, 1.0 / (4 - quarter)) if quarter < 3 else left
        left = left - part
        fine[:, quarter // 2 :: 2, quarter % 2 :: 2] = part
    dataset.Rows, dataset.Columns = fine.shape[1], fine.shape[2]
    dataset.PixelSpacing = [f"{float(value) / 2:.4f}" for value in dataset.PixelSpacing]
    dataset.PixelData = fine.astype(np.uint16).tobytes()
    for tag in ("LargestImagePixelValue", "SmallestImagePixelValue"):
        if tag in dataset:
            delattr(dataset, tag)
    dataset.save_as(target)


@pytest.fixture(scope="module")
def native_and_halved(metastatic_case: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """The simulated metastatic patient analysed as simulated (2.26 mm) and at 1.13 mm."""
    from bonescan.assessment import analyze
    from bonescan.io import load_study

    fine = tmp_path_factory.mktemp("fine") / "fine.dcm"
    _split_into_quarters(metastatic_case / "baseline.dcm", fine)
    return analyze(load_study(metastatic_case / "baseline.dcm")), analyze(load_study(fine))


def _same_place(fine: dict[str, Any], native: dict[str, Any]) -> bool:
    """Whether a hotspot of the 1.13 mm scan lies at a native one's place (within a fine pixel)."""
    return (
        fine["view"] == native["view"]
        and abs(fine["row"] - (2 * native["row"] + 0.5)) <= 1.0
        and abs(fine["column"] - (2 * native["column"] + 0.5)) <= 1.0
    )


def test_a_scan_at_half_the_pixel_size_reads_as_the_same_scan(
    native_and_halved: tuple[Any, Any], tmp_path: Path
) -> None:
    """The same likely findings, their probabilities within 0.001, the patient's within 0.01 and the
    BSI within 5%; every hotspot of the fine scan at twice a native one's row and column plus half a
    pixel, within one fine pixel, with its label; at most one native finding missing (two hotspots,
    one per view). (The skeleton is
    labelled on the view as given, and its labels differ a little at bone edges: a faint benign spot
    at a joint can be judged normal uptake on one grid and not on the other.)

    Before the detection grid, detection at 1.13 mm called every simulated patient tried metastatic
    (probability 1.00, 20-56 likely findings; docs/performance.md).
    """
    from bonescan.analysis_files import write_analysis

    native, halved = native_and_halved
    assert halved.study.views[0].shape == tuple(2 * n for n in native.study.views[0].shape)
    # the reader is told, view by view (severity info), and not at the usual pixel size
    noted = [check for check in halved.quality if check.code == "detection_grid"]
    assert [check.view for check in noted] == [view.name for view in halved.study.views]
    assert all("1.13 x 1.13 mm" in check.message and check.severity.value == "info" for check in noted)
    assert not any(check.code == "detection_grid" for check in native.quality)
    likely = [
        [j.metastasis_probability for j in a.judged if j.metastasis_probability >= 0.5]
        for a in native_and_halved
    ]
    assert likely[0] and likely[1] == pytest.approx(likely[0], abs=1e-3)
    assert halved.metastasis_probability == pytest.approx(native.metastasis_probability, abs=0.01)
    assert halved.bsi.percent == pytest.approx(native.bsi.percent, rel=0.05)
    document = json.loads((write_analysis(halved, tmp_path / "out") / "result.json").read_text())
    reference = json.loads((write_analysis(native, tmp_path / "ref") / "result.json").read_text())
    for got in document["hotspots"]:
        twins = [want for want in reference["hotspots"] if _same_place(got, want)]
        assert len(twins) == 1 and twins[0]["label"] == got["label"]
    assert len(reference["hotspots"]) - 2 <= len(document["hotspots"]) <= len(reference["hotspots"])


def test_the_segmentation_of_a_fine_scan_lies_on_its_own_grid(
    native_and_halved: tuple[Any, Any], tmp_path: Path, dciodvfy: str
) -> None:
    """The DICOM Segmentation of the 1.13 mm scan has its 2048 x 512 grid, every finding drawn; valid."""
    from bonescan.analysis_files import write_analysis

    halved = native_and_halved[1]
    write_analysis(halved, tmp_path / "out", reports=["dicom"])
    segmentation = pydicom.dcmread(tmp_path / "out" / "dicom" / "seg.dcm")
    assert (segmentation.Rows, segmentation.Columns) == halved.study.views[0].shape
    frames = segmentation.pixel_array
    numbers = [
        int(frame.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        for frame in segmentation.PerFrameFunctionalGroupsSequence
    ]
    labels = {int(item.SegmentNumber): str(item.SegmentLabel) for item in segmentation.SegmentSequence}
    finding_pixels = [int(frames[i].sum()) for i, n in enumerate(numbers) if labels[n].startswith("finding")]
    assert finding_pixels and all(count > 0 for count in finding_pixels)
    assert dciodvfy_errors(dciodvfy, tmp_path / "out" / "dicom" / "seg.dcm") == []
