"""Quantification: the Bone Scan Index and the tumour burden per region."""

from bonescan.quantify.bsi import BoneScanIndex, bone_scan_index, region_involvement

__all__ = ["BoneScanIndex", "bone_scan_index", "region_involvement"]
