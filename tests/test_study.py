"""The study model and the region registry."""

from __future__ import annotations

import numpy as np
import pytest

from bonescan.regions import REGIONS, RegionKind, bone_regions, mass_fraction, region, region_by_label
from bonescan.study import ImageSide, Study, View, ViewName
from tests.phantoms import make_view


def test_views_are_read_only_float_arrays() -> None:
    view = View(ViewName.ANTERIOR, np.ones((4, 3), dtype=np.uint16), (2.0, 2.0))
    assert view.counts.dtype == np.float32
    with pytest.raises(ValueError, match="read-only"):
        view.counts[0, 0] = 5
    assert (view.shape, view.total_counts) == ((4, 3), 12.0)


def test_default_sides_follow_the_view_conventions() -> None:
    assert View(ViewName.ANTERIOR, np.zeros((2, 2)), (1, 1)).patient_left is ImageSide.RIGHT
    assert View(ViewName.POSTERIOR, np.zeros((2, 2)), (1, 1)).patient_left is ImageSide.LEFT


def test_study_orders_views_and_refuses_duplicates() -> None:
    anterior, posterior = make_view(ViewName.ANTERIOR), make_view(ViewName.POSTERIOR)
    study = Study(views=(posterior, anterior))
    assert [v.name for v in study.views] == [ViewName.ANTERIOR, ViewName.POSTERIOR]
    assert study.view("posterior") is posterior
    with pytest.raises(ValueError, match="each view once"):
        Study(views=(anterior, anterior))
    with pytest.raises(ValueError, match="at least one view"):
        Study(views=())


def test_identity_can_be_left_out(study) -> None:
    assert study.identity.name == "Test^Phantom"
    anonymous = study.without_identity()
    assert anonymous.identity.name is None and anonymous.identity.patient_id is None
    assert anonymous.metadata == study.metadata


def test_region_registry_is_consistent() -> None:
    assert len({r.name for r in REGIONS}) == len({r.label for r in REGIONS}) == len(REGIONS)
    assert sum(mass_fraction(r.name) for r in bone_regions()) == pytest.approx(1.0)
    assert region("skull").mass_percent == 16.6
    assert region_by_label(region("bladder").label).kind is RegionKind.ORGAN
    for name in ("humerus_proximal", "femur_distal", "foot", "ribs", "pelvis"):
        left, right = region(f"{name}_left"), region(f"{name}_right")
        assert (left.laterality, right.laterality) == ("left", "right")
        assert left.mass_percent == right.mass_percent
    with pytest.raises(KeyError, match="known regions: background"):
        region("spleen")
