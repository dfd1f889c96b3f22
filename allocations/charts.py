"""Usage against the award as server-rendered SVG (no JavaScript, no inline styles; the
geometry here, the markup in templates/allocations/_usage_chart.html and usage.html):

- one allocation: the GPU-hours used by the end of each month of its period (bars) against its
  award (a line), the even pace from nothing to the award (dashed) and today (a line): how much
  of the time has passed beside how much was used;
- per system at a site: awarded (the ledger's count), used, and left, this year."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.formats import date_format

from allocations.models import Allocation
from factories.models import System
from usage.models import UsageRecord

WIDTH = 640
HEIGHT = 220
LEFT = 70  # room for the GPU-hours axis
BOTTOM = 28  # room for the month labels
TOP = 14
PLOT_W = WIDTH - LEFT - 10
PLOT_H = HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class MonthBar:
    label: str  # "Jan 2027"
    used: Decimal  # in that month
    cumulative: Decimal  # by its end
    x: float
    width: float
    y: float
    height: float
    text_x: float


@dataclass(frozen=True)
class UsageChart:
    bars: list[MonthBar]
    award: int
    award_y: float
    award_label_y: float
    today_x: float | None  # None before the start or after the end
    pace: tuple[float, float, float, float]  # x1, y1, x2, y2 of the even pace
    elapsed_percent: int
    used_percent: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    base_y: float = TOP + PLOT_H
    label_y: float = HEIGHT - 8


def _months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, current = [], start.replace(day=1)
    while current <= end:
        months.append(current)
        current = (current + datetime.timedelta(days=32)).replace(day=1)
    return months


def monthly_usage(allocation: Allocation) -> dict[datetime.date, Decimal]:
    """GPU-hours used per month (by the month its record's period ends), from the usage
    records: one query."""
    rows = (
        UsageRecord.objects.filter(allocation=allocation)
        .annotate(month=TruncMonth("period_end"))
        .order_by()
        .values_list("month")
        .annotate(total=Sum("gpu_hours"))
    )
    out: dict[datetime.date, Decimal] = {}
    for month, total in rows:
        key = month.date() if isinstance(month, datetime.datetime) else month
        out[key] = total or Decimal(0)
    return out


def usage_chart(
    allocation: Allocation, *, monthly: dict[datetime.date, Decimal], today: datetime.date
) -> UsageChart:
    months = _months(allocation.start, allocation.end)
    award = allocation.total_gpu_hours
    cumulative: list[Decimal] = []
    running = Decimal(0)
    for month in months:
        running += monthly.get(month, Decimal(0))
        cumulative.append(running)
    scale = float(max([Decimal(award), *cumulative, Decimal(1)]))
    slot = PLOT_W / len(months)
    base = TOP + PLOT_H
    bars = []
    for i, month in enumerate(months):
        height = PLOT_H * float(cumulative[i]) / scale
        x = LEFT + i * slot + slot * 0.15
        bars.append(
            MonthBar(
                label=date_format(month, "M Y"),
                used=monthly.get(month, Decimal(0)),
                cumulative=cumulative[i],
                x=round(x, 1),
                width=round(slot * 0.7, 1),
                y=round(base - height, 1),
                height=round(height, 1),
                text_x=round(x + slot * 0.35, 1),
            )
        )
    days = max((allocation.end - allocation.start).days, 1)

    def x_of(day: datetime.date) -> float:
        # Along the months' slots: the day's month, then the day within it.
        index = (day.year - months[0].year) * 12 + day.month - months[0].month
        within = (day.day - 1) / calendar.monthrange(day.year, day.month)[1]
        return round(LEFT + (index + within) * slot, 1)

    award_y = round(base - PLOT_H * award / scale, 1)
    today_x = x_of(today) if allocation.start <= today <= allocation.end else None
    passed = min(max((today - allocation.start).days, 0), days)
    return UsageChart(
        bars=bars,
        award=award,
        award_y=award_y,
        award_label_y=round(max(award_y - 4, 10), 1),
        today_x=today_x,
        pace=(x_of(allocation.start), base, x_of(allocation.end), award_y),
        elapsed_percent=round(100 * passed / days),
        used_percent=allocation.used_percent,
    )


# --- Per system, for the site --------------------------------------------------------------------

SYSTEM_BAR_W = 420


@dataclass(frozen=True)
class SystemUsageRow:
    system: System
    allocations: int
    awarded: int
    used: Decimal
    left: Decimal
    used_w: float
    left_w: float


def system_usage_rows(systems: QuerySet[System], *, year: int) -> list[SystemUsageRow]:
    """Awarded (the ledger: awarded + extra - reclaimed), used and left of each system's
    allocations of `year`, with their bars' widths on one scale: one query."""
    in_year = Q(allocations__period_year=year)
    annotated = systems.annotate(
        n=Count("allocations", filter=in_year),
        awarded=Sum(
            F("allocations__gpu_hours")
            + F("allocations__extra_gpu_hours")
            - F("allocations__reclaimed_gpu_hours"),
            filter=in_year,
        ),
        used=Sum("allocations__used_gpu_hours", filter=in_year),
    ).order_by("factory__name", "name")
    rows = list(annotated)
    scale = max([max(row.awarded or 0, row.used or 0) for row in rows] + [1])
    out = []
    for row in rows:
        awarded = row.awarded or 0
        used = row.used or Decimal(0)
        left = max(Decimal(awarded) - used, Decimal(0))
        out.append(
            SystemUsageRow(
                system=row,
                allocations=row.n,
                awarded=awarded,
                used=used,
                left=left,
                used_w=round(SYSTEM_BAR_W * float(used) / scale, 1),
                left_w=round(SYSTEM_BAR_W * float(left) / scale, 1),
            )
        )
    return out
