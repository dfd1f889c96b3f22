"""Date arithmetic for deadlines: working days (Monday to Friday) and calendar months."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.contrib.auth import get_user_model

User = get_user_model()

logger = logging.getLogger(__name__)


# --- Decisions and allocations -------------------------------------------------------------


def add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year = start.year + month // 12
    month = month % 12 + 1
    import calendar

    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (a weekend start counts from Monday)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if current.weekday() < 5:
            count += 1
    return count
