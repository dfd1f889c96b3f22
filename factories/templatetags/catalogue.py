"""Presentation of catalogue facts: an unknown value reads "not yet published", never 0."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, pgettext

register = template.Library()

# Per language, built once: pages call `published` for every fact of every system.
_not_published: dict[str | None, SafeString] = {}
_confidences: dict[str | None, dict[str, str]] = {}


def not_published() -> SafeString:
    """`<span class="not-published">not yet published</span>`, in the active language."""
    language = get_language()
    found = _not_published.get(language)
    if found is None:
        text = pgettext("a fact", "not yet published")
        found = _not_published[language] = format_html(
            '<span class="not-published">{}</span>', text
        )
    return found


@register.filter
def published(value: object, suffix: str = "") -> str:
    """`value` with an optional unit, or "not yet published" when it is None or empty."""
    if value is None or value == "":
        return not_published()
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


@register.filter
def confidence(value: str) -> str:
    """A source's or link's confidence ("solid", "medium", "weak", "unrated") as its badge says
    it, in the active language."""
    language = get_language()
    names = _confidences.get(language)
    if names is None:
        names = _confidences[language] = {
            "solid": pgettext("confidence of a source", "solid"),
            "medium": pgettext("confidence of a source", "medium"),
            "weak": pgettext("confidence of a source", "weak"),
            "unrated": pgettext("confidence of a source", "unrated"),
        }
    return names.get(value, value)
