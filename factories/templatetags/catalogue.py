"""Presentation of catalogue facts: an unknown value reads "not yet published", never 0."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

NOT_PUBLISHED = mark_safe('<span class="not-published">not yet published</span>')


@register.filter
def published(value: object, suffix: str = "") -> str:
    """`value` with an optional unit, or "not yet published" when it is None or empty."""
    if value is None or value == "":
        return NOT_PUBLISHED
    if isinstance(value, Decimal):
        value = intcomma(value.normalize() if value == value.to_integral() else value)
        value = str(value).replace("E+", "e")
    elif isinstance(value, int) and not isinstance(value, bool):
        value = intcomma(value)
    return format_html("{}{}", value, f" {suffix}" if suffix else "")


@register.filter
def percent_of(value: int, total: int) -> float:
    """Share of `total`, in percent, for chart widths (0 when total is 0)."""
    return round(100 * value / total, 2) if total else 0
