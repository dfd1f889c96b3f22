"""Date arithmetic for deadlines: working days (Monday to Friday, less the public holidays of
the factory's country, from the `holidays` package) and calendar months (dateutil).

`country` is an ISO 3166 alpha-2 code ("FI") or a django-countries `Country`; None, or a country
the `holidays` package does not know, counts weekends only.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

import holidays
from dateutil.relativedelta import relativedelta

if TYPE_CHECKING:
    from django_countries.fields import Country

logger = logging.getLogger(__name__)


# --- Calendars -----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _calendar(code: str) -> str | None:
    """`code` when the `holidays` package knows it, else None: an unknown code is logged once
    (the cache remembers the answer)."""
    if code in holidays.list_supported_countries():
        return code
    logger.warning("No public holidays known for country %r: counting weekends only.", code)
    return None


@lru_cache(maxsize=512)
def _holidays(code: str, year: int) -> frozenset[date]:
    """The public holidays of `code` in `year` that fall on a weekday (only those cost a day)."""
    return frozenset(d for d in holidays.country_holidays(code, years=year) if d.weekday() < 5)


def _code(country: str | Country | None) -> str | None:
    code = str(country or "").strip().upper()
    return _calendar(code) if code else None


def is_working_day(day: date, *, country: str | Country | None = None) -> bool:
    code = _code(country)
    return day.weekday() < 5 and (code is None or day not in _holidays(code, day.year))


# --- Arithmetic ----------------------------------------------------------------------------


def next_working_day(day: date, *, country: str | Country | None = None) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day, country=country):
        day += timedelta(days=1)
    return day


def add_working_days(start: date, days: int, *, country: str | Country | None = None) -> date:
    """The date `days` working days after `start` (before it when `days` is negative), always
    a working day; `start` itself for 0. A start on a weekend or holiday counts from the next
    working day (Saturday + 1 = Monday)."""
    step = timedelta(days=1 if days >= 0 else -1)
    current, remaining = start, abs(days)
    while remaining > 0:
        current += step
        if is_working_day(current, country=country):
            remaining -= 1
    return current


def working_days_between(start: date, end: date, *, country: str | Country | None = None) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start). Counted
    without walking the days: the statistics count it for every decided application."""
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    weekdays = weeks * 5 + sum((start.weekday() + i) % 7 < 5 for i in range(1, rest + 1))
    code = _code(country)
    if code is None:
        return weekdays
    years = range(start.year, end.year + 1)
    return weekdays - sum(start < d <= end for y in years for d in _holidays(code, y))


def add_months(start: date, months: int) -> date:
    """`start` plus `months` calendar months; a day the month lacks becomes its last day
    (31 January + 1 month = 28 or 29 February)."""
    return start + relativedelta(months=months)
