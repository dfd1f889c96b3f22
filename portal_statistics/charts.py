"""Geometry of the statistics' server-rendered SVG charts (as factories/charts.py: no
JavaScript, no inline styles, a <title> on every shape for its exact figure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from portal_statistics.selectors import ModeFigures, SystemCapacity

LABEL_WIDTH = 230
BAR_WIDTH = 460
ROW_HEIGHT = 30
BAR_HEIGHT = 18

Row = TypeVar("Row")


@dataclass(frozen=True)
class DaysRow:
    label: str
    y: float
    text_y: float
    median_width: float
    p90_x: float
    target_x: float
    value_x: float
    figures: ModeFigures


@dataclass(frozen=True)
class CapacityRow:
    label: str
    y: float
    text_y: float
    allocated_width: float
    remaining_x: float
    remaining_width: float
    value_x: float
    figures: SystemCapacity


@dataclass(frozen=True)
class Chart(Generic[Row]):
    rows: list[Row]
    height: int
    width: int = LABEL_WIDTH + BAR_WIDTH + 90
    bar_height: int = BAR_HEIGHT
    label_width: int = LABEL_WIDTH


def _y(i: int) -> tuple[float, float]:
    y = i * ROW_HEIGHT + 4
    return y, y + BAR_HEIGHT * 0.75


def days_chart(modes: list[ModeFigures]) -> Chart[DaysRow]:
    """Median working days to a decision (bar), the 90th percentile (a tick) and the mode's
    promise (a line), for the rows with enough decisions to show."""
    shown = [m for m in modes if m.median_working_days is not None]
    scale = max((max(m.p90_working_days or 0, m.target_working_days) for m in shown), default=1)
    scale = scale or 1
    rows = []
    for i, m in enumerate(shown):
        y, text_y = _y(i)
        median = m.median_working_days or 0.0
        p90 = m.p90_working_days or 0
        rows.append(
            DaysRow(
                label=f"{m.factory_name}, {m.mode_name}",
                y=y,
                text_y=text_y,
                median_width=round(BAR_WIDTH * median / scale, 1),
                p90_x=round(LABEL_WIDTH + BAR_WIDTH * p90 / scale, 1),
                target_x=round(LABEL_WIDTH + BAR_WIDTH * m.target_working_days / scale, 1),
                value_x=LABEL_WIDTH + BAR_WIDTH + 8,
                figures=m,
            )
        )
    return Chart(rows=rows, height=len(rows) * ROW_HEIGHT + 8)


def capacity_chart(capacity: list[SystemCapacity]) -> Chart[CapacityRow]:
    """Each system with a published capacity: allocated and left this year, as shares of it."""
    shown = [c for c in capacity if c.capacity]
    rows = []
    for i, c in enumerate(shown):
        y, text_y = _y(i)
        total = c.capacity or 1
        left = min(max(c.remaining or 0, 0), total)
        allocated_width = round(BAR_WIDTH * (total - left) / total, 1)
        rows.append(
            CapacityRow(
                label=f"{c.factory_name}, {c.system_name}",
                y=y,
                text_y=text_y,
                allocated_width=allocated_width,
                remaining_x=LABEL_WIDTH + allocated_width,
                remaining_width=round(BAR_WIDTH - allocated_width, 1),
                value_x=LABEL_WIDTH + BAR_WIDTH + 8,
                figures=c,
            )
        )
    return Chart(rows=rows, height=len(rows) * ROW_HEIGHT + 8)
