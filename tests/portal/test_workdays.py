from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from django_countries.fields import Country

from portal import workdays
from portal.workdays import add_months, add_working_days, next_working_day, working_days_between

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


# --- Public holidays of the factory's country ------------------------------------------------

# Finland 2030: Independence Day Friday 6 December; Midsummer Eve Friday 21 June; Christmas Eve
# to Boxing Day Tuesday 24 to Thursday 26 December. Italy 2030: Liberation Day Thursday 25 April.
FI_INDEPENDENCE = date(2030, 12, 6)
FI_MIDSUMMER_EVE = date(2030, 6, 21)
IT_LIBERATION = date(2030, 4, 25)


@pytest.mark.parametrize(
    ("day", "country", "expected"),
    [
        pytest.param(FI_INDEPENDENCE, "FI", date(2030, 12, 9), id="Independence Day → Monday"),
        pytest.param(FI_MIDSUMMER_EVE, "FI", date(2030, 6, 24), id="Midsummer Eve → Monday"),
        pytest.param(date(2030, 12, 24), "FI", date(2030, 12, 27), id="Christmas → Friday"),
        pytest.param(IT_LIBERATION, "IT", date(2030, 4, 26), id="Liberation Day → Friday"),
        pytest.param(FI_INDEPENDENCE, "IT", FI_INDEPENDENCE, id="a Finnish holiday in Italy"),
        pytest.param(IT_LIBERATION, "FI", IT_LIBERATION, id="an Italian holiday in Finland"),
        pytest.param(FI_INDEPENDENCE, None, FI_INDEPENDENCE, id="no country: weekdays"),
        pytest.param(date(2030, 12, 7), None, date(2030, 12, 9), id="Saturday → Monday"),
        pytest.param(date(2030, 12, 10), "FI", date(2030, 12, 10), id="a working day stays"),
    ],
)
def test_it_moves_a_day_off_to_the_next_working_day(day, country, expected):
    assert next_working_day(day, country=country) == expected


def test_a_decision_due_on_a_finnish_public_holiday_moves_to_the_next_working_day():
    thursday = FI_INDEPENDENCE - timedelta(days=1)

    assert add_working_days(thursday, 1) == FI_INDEPENDENCE  # weekdays only: the holiday
    assert add_working_days(thursday, 1, country="FI") == date(2030, 12, 9)
    assert add_working_days(date(2030, 6, 18), 3, country="FI") == date(2030, 6, 24)


def test_it_counts_the_italian_holidays_for_an_italian_factory():
    tuesday = date(2030, 4, 23)

    # Four working days: Wednesday, (Liberation Day), Friday, Monday, Tuesday.
    assert add_working_days(tuesday, 4, country="IT") == date(2030, 4, 30)
    assert add_working_days(tuesday, 4, country="FI") == date(2030, 4, 29)
    assert working_days_between(tuesday, date(2030, 5, 2), country="IT") == 5  # and 1 May


def test_it_counts_back_over_holidays():
    monday = date(2030, 12, 9)

    # Back over the weekend and Independence Day: Thursday, then Wednesday.
    assert add_working_days(monday, -2, country="FI") == date(2030, 12, 4)
    assert add_working_days(monday, -2) == date(2030, 12, 5)


def test_it_counts_holidays_across_the_new_year():
    # Weekdays 23 December 2030 to 3 January 2031: 10; in Finland less 24, 25, 26 December and
    # 1 January.
    assert working_days_between(date(2030, 12, 20), date(2031, 1, 3)) == 10
    assert working_days_between(date(2030, 12, 20), date(2031, 1, 3), country="FI") == 6


def test_it_takes_a_django_countries_country_or_a_lowercase_code(db):
    thursday = FI_INDEPENDENCE - timedelta(days=1)

    assert add_working_days(thursday, 1, country=Country("FI")) == date(2030, 12, 9)
    assert add_working_days(thursday, 1, country="fi") == date(2030, 12, 9)


def test_an_unknown_country_counts_weekends_only_and_is_logged_once(caplog):
    workdays._calendar.cache_clear()
    thursday = FI_INDEPENDENCE - timedelta(days=1)

    with caplog.at_level(logging.WARNING, logger="portal.workdays"):
        first = add_working_days(thursday, 1, country="ZZ")
        again = working_days_between(thursday, thursday + timedelta(days=7), country="ZZ")

    assert (first, again) == (FI_INDEPENDENCE, 5)
    assert [r.getMessage() for r in caplog.records] == [
        "No public holidays known for country 'ZZ': counting weekends only."
    ]


@pytest.mark.parametrize("country", ["FI", "IT", "DE", None])
@pytest.mark.parametrize("start", [date(2030, 12, 1) + timedelta(days=i) for i in range(0, 31, 3)])
@pytest.mark.parametrize("days", [1, 2, 5, 22])
def test_counting_is_the_inverse_of_adding_in_every_country(country, start, days):
    end = add_working_days(start, days, country=country)

    assert working_days_between(start, end, country=country) == days
    assert next_working_day(end, country=country) == end


# --- Months ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
        (date(2024, 12, 31), 2, date(2025, 2, 28)),
        (date(2024, 11, 15), 3, date(2025, 2, 15)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 5, 10), 0, date(2024, 5, 10)),
    ],
)
def test_it_adds_calendar_months_clamping_to_the_end_of_a_shorter_month(start, months, expected):
    assert add_months(start, months) == expected
