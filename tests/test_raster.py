"""Research exports: PNG, JPEG and TIFF pairs given as anterior and posterior."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from bonescan import InputError, load_study
from bonescan.study import ImageSide, PixelValues, ViewName


def _eight_bit(counts: np.ndarray) -> np.ndarray:
    return np.clip(counts / np.percentile(counts, 99.5) * 255, 0, 255).astype(np.uint8)


def test_png_pair_is_display_values(tmp_path: Path, study) -> None:
    Image.fromarray(_eight_bit(study.anterior.counts)).save(tmp_path / "a.png")
    Image.fromarray(_eight_bit(study.posterior.counts)).save(tmp_path / "p.png")
    loaded = load_study(anterior=tmp_path / "a.png", posterior=tmp_path / "p.png", pixel_spacing_mm=2.4)
    assert loaded.pixel_values is PixelValues.DISPLAY
    assert [v.name for v in loaded.views] == [ViewName.ANTERIOR, ViewName.POSTERIOR]
    assert loaded.anterior.pixel_spacing_mm == (2.4, 2.4)
    assert loaded.anterior.source.view_rule == "given as the anterior view"
    assert loaded.posterior.patient_left is ImageSide.LEFT
    codes = {c.code for c in loaded.quality}
    assert "not_counts" in codes
    assert "uptake_interval_unknown" in codes
    assert "low_counts" not in codes  # counts are not judged on display levels


def test_sixteen_bit_tiff_is_counts(tmp_path: Path, study) -> None:
    path = tmp_path / "case3_ant.tif"
    tifffile.imwrite(path, study.anterior.counts.astype(np.uint16))
    loaded = load_study(path, pixel_spacing_mm=(2.4, 2.4))
    assert loaded.pixel_values is PixelValues.COUNTS
    assert loaded.anterior.source.view_rule == "file name says anterior"
    assert np.array_equal(loaded.anterior.counts, study.anterior.counts)


def test_dark_on_white_jpeg_is_inverted_back(tmp_path: Path, study) -> None:
    grey = 255 - _eight_bit(study.anterior.counts)
    Image.fromarray(grey).convert("RGB").save(tmp_path / "wb-post.jpg", quality=95)
    loaded = load_study(tmp_path / "wb-post.jpg", pixel_spacing_mm=2.4)
    view = loaded.posterior
    assert view is not None
    notes = " ".join(c.message for c in loaded.quality)
    assert "inverted back" in notes
    top_band, leg_gap = view.counts[90:110, 118:138].mean(), view.counts[800:820, 120:136].mean()
    assert top_band > 50 > leg_gap  # bright skull, dark gap between the legs


def test_a_head_down_export_is_turned_upright(tmp_path: Path, study) -> None:
    Image.fromarray(_eight_bit(study.anterior.counts)[::-1, ::-1]).save(tmp_path / "ant.png")
    view = load_study(tmp_path / "ant.png", pixel_spacing_mm=2.4).anterior
    assert view.orientation.flip_rows
    assert np.array_equal(view.counts, _eight_bit(study.anterior.counts).astype(np.float32))


def test_an_image_without_a_view_in_its_name_is_refused(tmp_path: Path, study) -> None:
    Image.fromarray(_eight_bit(study.anterior.counts)).save(tmp_path / "scan.png")
    with pytest.raises(InputError, match="cannot tell which view this image is; give it with --anterior"):
        load_study(tmp_path / "scan.png", pixel_spacing_mm=2.4)


def test_an_image_without_spacing_is_refused(tmp_path: Path, study) -> None:
    Image.fromarray(_eight_bit(study.anterior.counts)).save(tmp_path / "a.png")
    with pytest.raises(InputError, match="give --pixel-spacing"):
        load_study(anterior=tmp_path / "a.png")


def test_a_broken_image_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ant.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(InputError, match=rf"^{path}: not a readable image"):
        load_study(path, pixel_spacing_mm=2.4)
