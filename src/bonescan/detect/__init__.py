"""Detection: hot and cold spots in each view against normal uptake, paired across views."""

from bonescan.detect.detect import detect
from bonescan.detect.model import Finding, Findings, Spot, SpotKind, UptakeReference

__all__ = ["Finding", "Findings", "Spot", "SpotKind", "UptakeReference", "detect"]
