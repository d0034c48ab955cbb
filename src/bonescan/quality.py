"""Quality checks of a loaded study, each with a severity.

The checks: a missing view, low total counts, an uptake interval that is unknown or outside 2–6 hours,
saturated or clipped pixels, a body cut off at the head or the feet, an export that holds display levels
instead of counts, pixel values whose noise says they are counts times a factor, or filtered
(:mod:`bonescan.noise`), and views that look swapped: the one taken as anterior shows the spine below
the chest standing out more than the posterior one does (:mod:`bonescan._spine`). They describe the
study; they never change it (detection divides scaled values by their factor itself).
"""

from __future__ import annotations

import math

import numpy as np

from bonescan._body import body_extent
from bonescan._spine import DECISIVE_LOG_RATIO, POSTERIOR_PROMINENCE, posterior_log_ratio, spine_prominence
from bonescan.study import PixelValues, QualityCheck, Severity, Study, View, ViewName

__all__ = [
    "LOW_COUNTS",
    "SEVERELY_LOW_COUNTS",
    "UPTAKE_HOURS",
    "check_quality",
]

#: Total counts per whole-body view below which detection suffers (clinical views hold 1–3.5 M).
LOW_COUNTS = 1_000_000
#: Total counts per view below which a reading is unreliable.
SEVERELY_LOW_COUNTS = 300_000
#: The uptake interval, in hours, at which bone scans are read and compared.
UPTAKE_HOURS = (2.0, 6.0)
#: Pixels at the top of the value range (or of the format) that count as clipping.
_CLIPPED_PIXELS = 10
#: Body width, in pixels, at the first or last row of the image that means a cut-off body.
_CUT_OFF_WIDTH = 8


def _missing_view(study: Study) -> list[QualityCheck]:
    missing = [name for name in ViewName if study.view(name) is None]
    return [
        QualityCheck(
            "missing_view",
            Severity.WARNING,
            f"the {name} view is missing; findings seen only in that view cannot be judged",
            name,
        )
        for name in missing
    ]


def _counts(view: View) -> list[QualityCheck]:
    total = view.total_counts / view.count_scale.divisor  # the counts the values stand for
    if total < SEVERELY_LOW_COUNTS:
        severity = Severity.SEVERE
    elif total < LOW_COUNTS:
        severity = Severity.WARNING
    else:
        return []
    message = (
        f"{total:,.0f} counts in the {view.name} view, below {LOW_COUNTS:,}: "
        "noise limits what can be detected"
    )
    return [QualityCheck("low_counts", severity, message, view.name)]


def _uptake(study: Study) -> list[QualityCheck]:
    hours = study.metadata.uptake_interval_hours
    if hours is None:
        return [
            QualityCheck(
                "uptake_interval_unknown",
                Severity.WARNING,
                "uptake interval unknown (injection or acquisition time missing); "
                "findings grow between 2, 4 and 6 h, so serial comparison needs it",
            )
        ]
    low, high = UPTAKE_HOURS
    if low <= hours <= high:
        return []
    return [
        QualityCheck(
            "uptake_interval_out_of_range",
            Severity.WARNING,
            f"uptake interval {hours:.1f} h is outside {low:g}–{high:g} h; "
            "bone-to-background contrast and lesion extent differ from a standard read",
        )
    ]


def _noise(view: View) -> list[QualityCheck]:
    scale = view.count_scale
    if scale.scaled:
        message = (
            f"{view.name} view: pixel values are {scale.values_per_count:.4g} times counts, as their "
            f"Poisson noise shows; detection read them as counts (values divided by {scale.divisor:.4g})"
        )
        return [QualityCheck("values_not_counts", Severity.WARNING, message, view.name)]
    if scale.neighbour_correlation is None or scale.white:
        return []
    message = (
        f"{view.name} view: the noise of neighbouring pixels is correlated "
        f"(r = {scale.neighbour_correlation:.2f}, raw counts about -0.17): the image was filtered or "
        "interpolated, or has no noise; detection takes its values as counts, so the significance "
        "of faint spots may be misjudged"
    )
    return [QualityCheck("noise_not_white", Severity.WARNING, message, view.name)]


def _clipping(view: View, pixel_values: PixelValues) -> list[QualityCheck]:
    peak = float(view.counts.max())
    if peak <= 0:
        return [QualityCheck("empty_view", Severity.SEVERE, "the view holds no counts", view.name)]
    at_peak = int(np.count_nonzero(view.counts >= peak))
    format_limits = (255.0, 4095.0, 32767.0, 65535.0)
    if peak in format_limits:
        reason = f"{at_peak} pixels at {peak:.0f}, the largest value the format holds: saturated"
    elif at_peak >= _CLIPPED_PIXELS and pixel_values is PixelValues.DISPLAY:
        reason = f"{at_peak} pixels share the top grey level {peak:.0f}: the export clipped them"
    elif at_peak >= _CLIPPED_PIXELS and peak > 20:
        reason = f"{at_peak} pixels share the maximum {peak:.0f} counts: clipped"
    else:
        return []
    return [QualityCheck("clipped_pixels", Severity.WARNING, reason, view.name)]


def _cut_off(view: View) -> list[QualityCheck]:
    extent = body_extent(view.counts)
    if extent.empty:
        return [QualityCheck("no_body", Severity.SEVERE, "no body found in the view", view.name)]
    checks = []
    last = view.shape[0] - 1
    if extent.top == 0 and extent.width[0] >= _CUT_OFF_WIDTH:
        checks.append(
            QualityCheck(
                "cut_off_head",
                Severity.WARNING,
                f"the body reaches the top edge ({extent.width[0]} pixels wide): the head may be cut off",
                view.name,
            )
        )
    if extent.bottom == last and extent.width[last] >= _CUT_OFF_WIDTH:
        checks.append(
            QualityCheck(
                "cut_off_feet",
                Severity.WARNING,
                f"the body reaches the bottom edge ({extent.width[last]} pixels wide): "
                "the feet may be cut off",
                view.name,
            )
        )
    return checks


def _display_values(study: Study) -> list[QualityCheck]:
    if study.pixel_values is PixelValues.COUNTS:
        return []
    return [
        QualityCheck(
            "not_counts",
            Severity.WARNING,
            "pixel values are display levels of an export, not counts: counts, noise and "
            "intensity ratios cannot be trusted; read the original DICOM where possible",
        )
    ]


def _swapped_views(study: Study) -> list[QualityCheck]:
    if study.anterior is None or study.posterior is None:
        return []
    log_ratio = posterior_log_ratio(study.anterior.counts, study.posterior.counts)
    if log_ratio is None or log_ratio < DECISIVE_LOG_RATIO:
        return []
    rules = f"anterior: {study.anterior.source.view_rule}; posterior: {study.posterior.source.view_rule}"
    return [
        QualityCheck(
            "views_swapped",
            Severity.WARNING,
            f"the view taken as anterior shows the spine below the chest standing out "
            f"{math.exp(log_ratio):.2f} times as much as the posterior view, as a posterior view does: "
            f"the views may be swapped ({rules}); check the files' view labels",
        )
    ]


def _assumed_anterior_looks_posterior(study: Study) -> list[QualityCheck]:
    """Warn when a lone view taken as anterior for want of a label shows a posterior view's spine."""
    view = study.anterior
    if len(study.views) != 1 or view is None or not view.source.assumed:
        return []
    prominence = spine_prominence(view.counts)
    if prominence is None or prominence < POSTERIOR_PROMINENCE:
        return []
    return [
        QualityCheck(
            "view_may_be_posterior",
            Severity.WARNING,
            f"the view taken as anterior (the file does not say which it is) shows the spine below the "
            f"chest standing out {prominence:.2f} times the trunk around it, as posterior views do "
            f"(simulated anterior views stay under {POSTERIOR_PROMINENCE}): if it is the posterior view, "
            "give --view posterior",
            ViewName.ANTERIOR,
        )
    ]


def check_quality(study: Study) -> tuple[QualityCheck, ...]:
    """Run every quality check on ``study`` and return what they found, most severe first."""
    checks = _missing_view(study) + _display_values(study) + _uptake(study) + _swapped_views(study)
    checks += _assumed_anterior_looks_posterior(study)
    for view in study.views:
        checks += _noise(view)
        if study.pixel_values is PixelValues.COUNTS:
            checks += _counts(view)
        checks += _clipping(view, study.pixel_values) + _cut_off(view)
    order = {Severity.SEVERE: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return tuple(sorted(checks, key=lambda check: order[check.severity]))
