"""Assessment: the patient-level reading of a study (probability, BSI, hotspot count, impression)."""

from bonescan.assessment.analyze import analyze
from bonescan.assessment.model import Assessment, PrimaryCancer
from bonescan.assessment.result import SCHEMA_VERSION, result_document

__all__ = ["SCHEMA_VERSION", "Assessment", "PrimaryCancer", "analyze", "result_document"]
