"""The public statistics, computed from a known set of decisions at LUMI (Finland's working
days): the figures exactly, on the page and in the API, without login, without personal data,
small numbers withheld, cached until the next decision."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from allocations.models import Allocation
from applications.models import Application, ApplicationStatus, Cutoff
from portal.workdays import add_working_days
from portal_statistics import selectors
from reviews.services import decisions as decision_services
from tests.fixtures.reviews import CAPACITY, review_all

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY = date(2026, 3, 2)  # no Finnish public holiday until Good Friday, 3 April
# Working days from the start of the clock to the decision (Fast Lane promises 4).
FAST_LANE_DAYS = [1, 1, 2, 2, 3, 3, 4, 5, 7, 12]
PLAYGROUND_DAYS = [1, 2, 5]  # three decisions: fewer than five, withheld
LARGE_SCALE_DAYS = [5, 8, 10, 10, 12]  # counted from the cut-off (promise: 10)
TITLE = "Secret pangolin language model"


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BRUSSELS)


def make(alice, alice_org, mode, system, *, status, submitted, decided=None, cutoff=None):
    return Application(
        applicant=alice, organisation=alice_org, access_mode=mode, system=system, status=status,
        title=TITLE, ai_domain="health", gpu_hours=1000, start_date=date(2026, 6, 1),
        duration_months=2, submitted_at=submitted, decided_at=decided, cutoff=cutoff,
        expected_decision_by=MONDAY + timedelta(days=7),
    )  # fmt: skip


@pytest.fixture
def known(alice, alice_org, modes, site_x):
    """LUMI: 10 Fast Lane decisions, one under review and one withdrawn; 3 Playground
    decisions; 5 Large Scale decisions after a cut-off; a draft (not received). Two of the Fast
    Lane approvals hold 1,500 and 2,500 GPU-hours of this year's capacity."""
    lumi = site_x.system
    approved = ApplicationStatus.APPROVED
    cutoff = Cutoff.objects.create(access_mode=modes["large-scale"], closes_at=at(MONDAY, 17))
    rows = [
        make(alice, alice_org, modes["fast-lane"], lumi, status=approved if i % 2 else "rejected",
             submitted=at(MONDAY, 10), decided=at(add_working_days(MONDAY, n, country="FI"), 15))
        for i, n in enumerate(FAST_LANE_DAYS)
    ] + [
        make(alice, alice_org, modes["fast-lane"], lumi, status=s, submitted=at(MONDAY, 11))
        for s in (ApplicationStatus.UNDER_REVIEW, ApplicationStatus.WITHDRAWN)
    ] + [
        make(alice, alice_org, modes["playground"], lumi, status=approved,
             submitted=at(MONDAY, 9), decided=at(add_working_days(MONDAY, n, country="FI"), 16))
        for n in PLAYGROUND_DAYS
    ] + [
        make(alice, alice_org, modes["large-scale"], lumi, status=approved, cutoff=cutoff,
             submitted=at(MONDAY - timedelta(days=10), 9),
             decided=at(add_working_days(MONDAY, n, country="FI"), 12))
        for n in LARGE_SCALE_DAYS
    ] + [
        make(alice, alice_org, modes["fast-lane"], lumi, status="draft", submitted=None)
    ]  # fmt: skip
    made = Application.objects.bulk_create(rows)
    year = timezone.localdate().year
    Allocation.objects.bulk_create(
        Allocation(application=a, system=lumi, gpu_hours=hours, start=date(year, 1, 5),
                   end=date(year, 3, 5), period_year=year)
        for a, hours in zip(made[1:4:2], (1500, 2500), strict=True)
    )  # fmt: skip
    return made


def row(figures, factory: str, mode: str):
    (found,) = [m for m in figures.modes if m.factory_slug == factory and m.mode_slug == mode]
    return found


def test_it_computes_the_figures_of_a_known_set_of_decisions(known):
    figures = selectors.statistics_compute()

    fast = row(figures, "lumi-aif", "fast-lane")
    assert (fast.received, fast.decided, fast.target_working_days) == (12, 10, 4)
    assert fast.median_working_days == 3.0  # (3 + 3) / 2
    assert fast.p90_working_days == 7  # the 9th of 10 (nearest rank)
    assert fast.on_time_share == 0.7  # 7 of 10 within 4 working days
    assert fast.withheld == ()
    large = row(figures, "lumi-aif", "large-scale")
    assert (large.received, large.decided) == (5, 5)
    assert (large.median_working_days, large.p90_working_days, large.on_time_share) == (
        10.0, 12, 0.8,
    )  # fmt: skip
    lumi = next(c for c in figures.capacity if c.system_slug == "lumi")
    assert (lumi.capacity, lumi.remaining) == (CAPACITY, CAPACITY - 4000)


def test_it_withholds_figures_of_fewer_than_five(known):
    playground = row(selectors.statistics_compute(), "lumi-aif", "playground")

    assert (playground.received, playground.decided) == (None, None)
    assert playground.median_working_days is None
    assert playground.p90_working_days is None
    assert playground.on_time_share is None
    assert playground.withheld == (
        "received", "decided", "median_working_days", "p90_working_days", "on_time_share",
    )  # fmt: skip


def test_a_mode_offered_without_applications_shows_zeros(known):
    figures = selectors.statistics_compute()
    empty = [m for m in figures.modes if m.factory_slug != "lumi-aif"]

    assert empty, "the other factories' offered modes are listed"
    assert all((m.received, m.decided, m.withheld) == (0, 0, ()) for m in empty)
    assert all(m.median_working_days is None for m in empty)


def test_the_percentile_is_the_nearest_rank():
    assert selectors.percentile(list(range(1, 11)), 0.9) == 9
    assert selectors.percentile(list(range(1, 21)), 0.9) == 18
    assert selectors.percentile([4], 0.9) == 4


def test_anybody_sees_the_page_without_personal_data(client, known, alice_org):
    response = client.get("/statistics/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "3.0 / 4" in html  # the chart of median against promise
    assert "fewer than 5" in html  # Playground
    assert "70 %" in html  # Fast Lane on time
    assert f"{CAPACITY - 4000:,}" in html
    for private in (TITLE, "alice@example.org", "Alice Applicant", alice_org.legal_name):
        assert private not in html


def test_the_page_refuses_a_post(client, known):
    assert client.post("/statistics/").status_code == 405


def test_the_api_answers_the_same_figures(client, known):
    response = client.get("/api/v1/statistics/")

    assert response.status_code == 200
    data = response.json()
    assert data["small_number"] == 5
    assert data["year"] == timezone.localdate().year
    rows = {(r["factory"], r["access_mode"]): r for r in data["access_modes"]}
    assert rows["lumi-aif", "fast-lane"] == {
        "factory": "lumi-aif", "factory_name": rows["lumi-aif", "fast-lane"]["factory_name"],
        "access_mode": "fast-lane", "access_mode_name": "Fast Lane",
        "decision_target_working_days": 4, "received": 12, "decided": 10,
        "median_working_days": 3.0, "p90_working_days": 7, "decided_on_time_share": 0.7,
        "withheld": [],
    }  # fmt: skip
    assert rows["lumi-aif", "playground"]["received"] is None
    assert "received" in rows["lumi-aif", "playground"]["withheld"]
    lumi = next(c for c in data["capacity"] if c["system"] == "lumi")
    assert lumi["remaining_gpu_hours"] == CAPACITY - 4000
    assert TITLE not in response.content.decode()
    assert "alice@example.org" not in response.content.decode()


def test_the_figures_are_cached_until_a_decision(
    client, known, routed, site_x, django_capture_on_commit_callbacks, django_assert_num_queries
):
    def fast_lane() -> dict:
        rows = client.get("/api/v1/statistics/").json()["access_modes"]
        return next(
            r for r in rows if (r["factory"], r["access_mode"]) == ("lumi-aif", "fast-lane")
        )

    assert fast_lane()["decided"] == 10
    # A change that is no decision (made behind the services' back) is not seen: cached.
    Application.objects.filter(title=TITLE, status="rejected").update(decided_at=None)
    with django_assert_num_queries(0):  # a hit reads no database
        assert fast_lane()["decided"] == 10

    with django_capture_on_commit_callbacks(execute=True):
        review_all(routed)
    with django_capture_on_commit_callbacks(execute=True):
        decision_services.application_decide(
            application=routed, approver=site_x.approver, outcome="approve", gpu_hours=800,
            comment="A sound plan.",
        )  # fmt: skip

    after = fast_lane()
    assert after["decided"] == 6  # 5 approved of the known set, and this one
    assert after["received"] == 13


def test_a_miss_costs_a_bounded_number_of_queries(client, known, django_assert_max_num_queries):
    # Factories, modes, offered pairs, received, durations, systems, and the ledger per system
    # with a published capacity (only LUMI here).
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/statistics/").status_code == 200


def test_the_page_from_the_cache_reads_no_database(client, known, django_assert_num_queries):
    client.get("/statistics/")  # computes and stores the figures

    with django_assert_num_queries(0):
        response = client.get("/statistics/")

    assert response.status_code == 200
    assert "3.0 / 4" in response.content.decode()
