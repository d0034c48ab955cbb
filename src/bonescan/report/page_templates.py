"""The one Jinja2 environment of the HTML reports: package templates, autoescaped, strict."""

from __future__ import annotations

from functools import cache

import jinja2

__all__ = ["template"]


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bonescan.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def template(name: str) -> jinja2.Template:
    """Return the report template ``name`` (in ``bonescan/report/templates``)."""
    return _environment().get_template(name)
