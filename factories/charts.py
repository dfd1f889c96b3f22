"""Geometry of the server-rendered SVG charts (no JavaScript, no inline styles)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .selectors import FactoryStatusRow

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LABEL_WIDTH = 190
BAR_WIDTH = 520
ROW_HEIGHT = 34
BAR_HEIGHT = 22


@dataclass(frozen=True)
class Rect:
    css: str
    label: StrOrPromise  # a status, in the page's language
    count: int
    x: float
    width: float


@dataclass(frozen=True)
class ChartRow:
    label: str
    total: int
    y: float
    text_y: float
    rects: list[Rect]
    total_x: float


@dataclass(frozen=True)
class StackedChart:
    rows: list[ChartRow]
    height: int
    width: int
    bar_height: int


def status_chart(rows: list[FactoryStatusRow]) -> StackedChart:
    scale = max((row.total for row in rows), default=1) or 1
    chart_rows = []
    for i, row in enumerate(rows):
        y = i * ROW_HEIGHT + 4
        x = float(LABEL_WIDTH)
        rects = []
        for seg in row.segments:
            width = BAR_WIDTH * seg.count / scale
            rects.append(Rect(f"chart-status-{seg.status}", seg.label, seg.count, x, width))
            x += width
        chart_rows.append(
            ChartRow(
                label=f"{row.factory.display_name} ({row.factory.city})",
                total=row.total,
                y=y,
                text_y=y + BAR_HEIGHT * 0.72,
                rects=rects,
                total_x=x + 6,
            )
        )
    return StackedChart(
        rows=chart_rows,
        height=len(rows) * ROW_HEIGHT + 8,
        width=LABEL_WIDTH + BAR_WIDTH + 40,
        bar_height=BAR_HEIGHT,
    )
