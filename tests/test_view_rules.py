"""Each rule that tells anterior from posterior, on small header-only datasets."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from bonescan.io.view_rules import decide_views
from bonescan.study import ViewName

ANT, POST = ViewName.ANTERIOR, ViewName.POSTERIOR


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def _detectors(*codes: Dataset | None) -> Dataset:
    dataset = Dataset()
    items = []
    for code in codes:
        detector = Dataset()
        if code is not None:
            detector.ViewCodeSequence = Sequence([code])
        items.append(detector)
    dataset.DetectorInformationSequence = Sequence(items)
    dataset.DetectorVector = list(range(1, len(codes) + 1))
    return dataset


def _views(dataset: Dataset, frames: int) -> list[ViewName | None]:
    return [decision.view for decision in decide_views(dataset, frames)]


def test_snomed_ct_codes() -> None:
    dataset = _detectors(
        _code("399321004", "SCT", "Anterior projection"), _code("399001007", "SCT", "Posterior projection")
    )
    decisions = decide_views(dataset, 2)
    assert [d.view for d in decisions] == [ANT, POST]
    assert decisions[0].rule.startswith("view_code: DetectorInformationSequence[1].ViewCodeSequence")


def test_detector_vector_picks_the_detector_of_each_frame() -> None:
    dataset = _detectors(_code("G-5215", "SRT", "anterior"), _code("G-5216", "SRT", "posterior"))
    dataset.DetectorVector = [2, 1]
    assert _views(dataset, 2) == [POST, ANT]


def test_retired_snomed_rt_codes_and_meanings() -> None:
    assert _views(_detectors(_code("G-5216", "SRT", "x")), 1) == [POST]
    assert _views(_detectors(_code("XYZ", "99LOCAL", "ANTERIOR")), 1) == [ANT]
    assert _views(_detectors(_code("XYZ", "99LOCAL", "left anterior oblique")), 1) == [None]


def test_one_coded_frame_decides_the_other() -> None:
    dataset = _detectors(None, _code("399001007", "SCT", "Posterior projection"))
    decisions = decide_views(dataset, 2)
    assert [d.view for d in decisions] == [ANT, POST]
    assert decisions[0].rule.startswith("the other frame of a two-view image")


def test_image_type_then_series_description() -> None:
    dataset = Dataset()
    dataset.ImageType = ["ORIGINAL", "PRIMARY", "WHOLE BODY", "POSTERIOR"]
    dataset.SeriesDescription = "WB ANT"
    decision = decide_views(dataset, 1)[0]
    assert (decision.view, decision.rule) == (
        POST,
        "image_type: ImageType 'ORIGINAL\\PRIMARY\\WHOLE BODY\\POSTERIOR'",
    )
    del dataset.ImageType
    decision = decide_views(dataset, 1)[0]
    assert (decision.view, decision.rule) == (ANT, "series_description: 'WB ANT'")


@pytest.mark.parametrize("text", ["WB ANT/POST", "Whole Body", "PO-2_H2", "ANTERIOR POSTERIOR"])
def test_descriptions_that_do_not_decide(text: str) -> None:
    dataset = Dataset()
    dataset.SeriesDescription = text
    assert _views(dataset, 1) == [None]


def test_detector_vector_convention_for_two_frames() -> None:
    dataset = _detectors(None, None)
    decisions = decide_views(dataset, 2)
    assert [d.view for d in decisions] == [ANT, POST]
    assert decisions[0].rule.startswith("detector_vector:")


def test_nothing_decides() -> None:
    assert _views(Dataset(), 2) == [None, None]
