"""bonescan: an open-source reading assistant for whole-body bone scintigraphy.

The pipeline runs one way: a :class:`Study` (views, counts, spacing, metadata) is read by
:func:`load_study`, checked, and handed to the analysis steps.
"""

from bonescan._version import __version__
from bonescan.errors import BonescanError, InputError, NotABoneScanError, OutputError
from bonescan.io import load_study, write_nm_image
from bonescan.study import Study, View, ViewName

__all__ = [
    "BonescanError",
    "InputError",
    "NotABoneScanError",
    "OutputError",
    "Study",
    "View",
    "ViewName",
    "__version__",
    "load_study",
    "write_nm_image",
]
