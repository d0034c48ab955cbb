"""Upright or head-down, and the patient's left and right in each view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from bonescan import load_study, write_nm_image
from bonescan.io.orientation import decide_orientation, midline_profile
from bonescan.study import ImageSide, Orientation, ViewName


def _rewrite(path: Path, out: Path, *, rotate: bool = False, orientation: str | None = None) -> Path:
    dataset = pydicom.dcmread(path)
    if rotate:
        pixels = dataset.pixel_array
        dataset.PixelData = np.ascontiguousarray(pixels[..., ::-1, ::-1]).tobytes()
    if orientation is not None:
        dataset.PatientOrientation = orientation.split("\\")
    dataset.save_as(out)
    return out


def test_conventions_anterior_left_on_image_right_posterior_not_mirrored(nm_file: Path, study) -> None:
    loaded = load_study(nm_file)
    assert loaded.anterior.patient_left is ImageSide.RIGHT
    assert loaded.posterior.patient_left is ImageSide.LEFT
    stored = pydicom.dcmread(nm_file).pixel_array
    assert np.array_equal(loaded.posterior.counts, stored[1])  # as the camera saw it from behind
    assert np.array_equal(loaded.anterior.counts, stored[0])


def test_a_head_down_file_is_turned_upright_from_its_pixels(tmp_path: Path, nm_file: Path, study) -> None:
    loaded = load_study(_rewrite(nm_file, tmp_path / "down.dcm", rotate=True))
    for view, original in zip(loaded.views, study.views, strict=True):
        assert view.orientation.flip_rows and view.orientation.flip_columns
        assert view.orientation.decided_by.startswith("image: head at the bottom")
        assert np.array_equal(view.counts, original.counts)
        assert view.patient_left is original.patient_left
    assert {c.code for c in loaded.quality} == {"turned_upright"}


def test_patient_orientation_decides_before_the_pixels(tmp_path: Path, study) -> None:
    single = write_nm_image(study, tmp_path / "ant.dcm", views=[study.anterior])
    path = _rewrite(single, tmp_path / "po.dcm", rotate=True, orientation="R\\H")
    loaded = load_study(path)
    anterior = loaded.anterior
    assert anterior.orientation.decided_by == "PatientOrientation (0020,0020) 'R\\H'"
    assert np.array_equal(anterior.counts, study.anterior.counts)
    assert anterior.patient_left is ImageSide.RIGHT


def test_a_mirrored_posterior_is_reported_not_corrected(tmp_path: Path, study) -> None:
    single = write_nm_image(study, tmp_path / "post.dcm", views=[study.posterior])
    loaded = load_study(_rewrite(single, tmp_path / "mirrored.dcm", orientation="L\\F"))
    posterior = loaded.posterior
    assert posterior.patient_left is ImageSide.RIGHT
    assert np.array_equal(posterior.counts, study.posterior.counts)
    assert "mirrored_view" in {c.code for c in loaded.quality}


def test_positions_map_back_to_the_stored_grid() -> None:
    turned = Orientation(True, True, ImageSide.RIGHT, "test")
    assert turned.to_stored(10, 20, (1024, 256)) == (1013, 235)
    assert turned.from_stored(*turned.to_stored(10.5, 20.25, (1024, 256)), (1024, 256)) == (10.5, 20.25)
    assert Orientation().to_stored(10, 20, (1024, 256)) == (10, 20)


def test_an_image_without_a_body_leaves_orientation_undecided() -> None:
    noise = np.random.default_rng(0).poisson(5, (1024, 256)).astype(np.float32)
    decided = decide_orientation(noise, ViewName.ANTERIOR)
    assert decided.decided_by.startswith("undecided")
    assert not decided.flip_rows


def _upright_body_with_a_bag_beside_its_legs() -> np.ndarray:
    """A drawn body, upright, whose legs' faint soft tissue drops out of the outline over rows 650-829,
    beside which a catheter bag at the image's edge (rows 680-799) is the only outline left."""
    image = np.zeros((1024, 256), dtype=np.float32)
    image[60:160, 98:158] = 20.0  # the head
    image[60:160, 123:133] = 60.0  # its bright middle
    image[160:500, 78:178] = 20.0  # the trunk
    image[160:500, 123:133] = 30.0  # the spine and sternum
    image[160:500, 78:88] = image[160:500, 168:178] = 36.0  # the arms, brighter still
    image[500:900, 88:124] = image[500:900, 132:168] = 20.0  # the legs, air between them
    image[650:830, 88:168] = 0.0
    image[680:800, 226:256] = 400.0
    return image


def test_a_bag_beside_the_legs_does_not_turn_an_upright_view() -> None:
    """The bag's rows are most of the band near the feet; their centre (column 240.5) lies far off the
    body's midline (column 128), which is read there instead: air, so the feet are at the bottom.
    Read at the bag's centre, the band's midline was as bright as its rows (1.0 against 0.83 at the
    top) and the view was turned head-down (held-out seed 7143, case00184, posterior)."""
    image = _upright_body_with_a_bag_beside_its_legs()
    profile = midline_profile(image)
    assert profile is not None and (round(profile.top, 2), profile.bottom) == (0.83, 0.0)
    assert not decide_orientation(image, ViewName.POSTERIOR).flip_rows
    assert decide_orientation(image[::-1, ::-1].copy(), ViewName.POSTERIOR).flip_rows


@pytest.mark.parametrize("view", list(ViewName))
def test_the_real_scan_turned_head_down_is_recognised(shared_data: Path, view: ViewName) -> None:
    pixels = pydicom.dcmread(shared_data / "nm1" / "NM1_UNC.dcm").pixel_array.astype(np.float32)
    assert not decide_orientation(pixels, view).flip_rows
    assert decide_orientation(pixels[::-1, ::-1].copy(), view).flip_rows
