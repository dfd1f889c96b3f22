"""`as_plain_text`: the letter's HTML as the text of an email (one template for both)."""

from __future__ import annotations

import html
import re

from django import template
from django.utils.html import strip_tags

register = template.Library()

BREAKS = re.compile(r"<br\s*/?>|</(p|h1|h2|h3|tr|li|ol|ul|table|div)>", re.IGNORECASE)
ITEM = re.compile(r"<li[^>]*>", re.IGNORECASE)
CELL = re.compile(r"</t[hd]>\s*<t[hd][^>]*>", re.IGNORECASE)


@register.filter
def as_plain_text(value: str) -> str:
    """Paragraphs, rows and list items on lines of their own; the tags gone; entities decoded."""
    text = ITEM.sub("- ", CELL.sub(": ", str(value)))
    text = html.unescape(strip_tags(BREAKS.sub("\n", text)))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
