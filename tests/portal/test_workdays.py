from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.workdays import add_working_days, working_days_between

MONDAY = date(2024, 1, 1)
FRIDAY = MONDAY + timedelta(days=4)
SATURDAY = MONDAY + timedelta(days=5)
SUNDAY = MONDAY + timedelta(days=6)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (MONDAY, 0, MONDAY),
        (MONDAY, 1, MONDAY + timedelta(days=1)),
        (MONDAY, 4, FRIDAY),
        (MONDAY, 5, MONDAY + timedelta(days=7)),
        (FRIDAY, 1, MONDAY + timedelta(days=7)),
        (FRIDAY, 4, FRIDAY + timedelta(days=6)),
        (FRIDAY, 10, FRIDAY + timedelta(days=14)),
        (SATURDAY, 1, MONDAY + timedelta(days=7)),
        (SUNDAY, 1, MONDAY + timedelta(days=7)),
        (SUNDAY, 2, MONDAY + timedelta(days=8)),
        (MONDAY, 22, MONDAY + timedelta(days=30)),
    ],
)
def test_it_adds_working_days_skipping_weekends(start, days, expected):
    assert add_working_days(start, days) == expected
    assert expected.weekday() < 5 or days == 0


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (MONDAY, MONDAY, 0),
        (MONDAY, MONDAY - timedelta(days=3), 0),
        (MONDAY, FRIDAY, 4),
        (FRIDAY, MONDAY + timedelta(days=7), 1),
        (FRIDAY, SUNDAY, 0),
        (SATURDAY, MONDAY + timedelta(days=14), 6),
    ],
)
def test_it_counts_working_days_between_two_dates(start, end, expected):
    assert working_days_between(start, end) == expected


@pytest.mark.parametrize("start", [MONDAY + timedelta(days=i) for i in range(7)])
@pytest.mark.parametrize("days", [1, 2, 4, 10, 22])
def test_it_is_the_inverse_of_counting(start, days):
    assert working_days_between(start, add_working_days(start, days)) == days
