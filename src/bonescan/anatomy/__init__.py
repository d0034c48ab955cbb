"""Anatomy: label the skeleton by region in both views, with landmarks and a body outline."""

from bonescan.anatomy.landmarks import Landmark, Landmarks, find_landmarks
from bonescan.anatomy.model import Anatomy, RegionStatus, ViewAnatomy
from bonescan.anatomy.segment import segment

__all__ = ["Anatomy", "Landmark", "Landmarks", "RegionStatus", "ViewAnatomy", "find_landmarks", "segment"]
