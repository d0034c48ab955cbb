"""Reading bone scans from DICOM files and exported images, and writing NM images."""

from bonescan.io.loader import load_study
from bonescan.io.nm_writer import write_nm_image

__all__ = ["load_study", "write_nm_image"]
