"""The staff statistics: the median time to decision in working days of each factory's country,
from the local dates of submission and decision, in as many queries however many decisions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.models import AccessMode, Application, ApplicationStatus
from factories.models import System
from tests.fixtures.reviews import login

pytestmark = pytest.mark.django_db


def local(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def decided(system: System, applicant, organisation, *pairs: tuple[datetime, datetime]) -> None:
    """Decided applications at `system`, one per (submitted_at, decided_at), written directly:
    what the page counts is the dates, not the path that set them."""
    mode = AccessMode.objects.get(slug="fast-lane")
    Application.objects.bulk_create(
        Application(
            applicant=applicant, organisation=organisation, access_mode=mode, system=system,
            status=ApplicationStatus.REJECTED, title=f"Decided {i}", ai_domain="health",
            gpu_hours=1000, start_date=date(2031, 1, 6), duration_months=2,
            submitted_at=submitted, decided_at=decided_at, expected_decision_by=date(2030, 12, 9),
        )
        for i, (submitted, decided_at) in enumerate(pairs)
    )  # fmt: skip


def medians(html: str) -> dict[str, tuple[str, str]]:
    """Per factory row of the table: (decided, median working days)."""
    rows = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td>.*?</td><td>.*?</td><td>(\d+)</td><td>([^<]+)</td>',
        html,
    )
    return {name: (count, median) for name, count, median in rows}


# Finland 2030: Independence Day is Friday 6 December; Italy: 25 and 26 December.
THU, MON = date(2030, 12, 5), date(2030, 12, 9)
# 00:30 on Monday in Brussels: still Sunday in UTC, Monday as the page counts it.
MONDAY_JUST_AFTER_MIDNIGHT = datetime(2030, 12, 8, 23, 30, tzinfo=UTC)


@pytest.fixture
def decisions(site_x, site_y, alice, alice_org, modes) -> None:
    decided(
        site_x.system, alice, alice_org,
        (local(THU, 9), MONDAY_JUST_AFTER_MIDNIGHT),  # 1: Friday is Independence Day
        (local(date(2030, 12, 2), 10), local(date(2030, 12, 4), 16)),  # 2
        (local(date(2030, 12, 2)), local(date(2030, 12, 10))),  # 5: 3, 4, 5, 9, 10
    )  # fmt: skip
    decided(
        site_y.system, alice, alice_org,
        (local(THU, 9), MONDAY_JUST_AFTER_MIDNIGHT),  # 2: Friday and Monday
        (local(date(2030, 12, 24)), local(date(2030, 12, 27))),  # 1: only Friday 27
    )  # fmt: skip


def test_it_shows_the_median_working_days_to_decision_of_each_factorys_country(
    client, admin_user, decisions
):
    html = login(client, admin_user).get("/review/stats/").content.decode()

    assert "Median working days to decision" in html
    table = medians(html)
    # LUMI: 1, 2, 5 working days (3.6, 2.3 and 8 calendar days).
    assert table["LUMI AIF"] == ("3", "2")
    # IT4LIA: 2 and 1.
    assert table["IT4LIA"] == ("2", "1.5")
    assert table["BSC AIF"] == ("0", "\u2013")  # an en dash: none decided


def test_an_approver_sees_the_median_of_their_site_only(client, site_x, decisions):
    html = login(client, site_x.approver).get("/review/stats/").content.decode()

    assert medians(html) == {"LUMI AIF": ("3", "2")}


def test_the_statistics_cost_as_many_queries_with_many_decisions_at_many_sites(
    client, admin_user, decisions, alice, alice_org
):
    login(client, admin_user)
    with CaptureQueriesContext(connection) as few:
        client.get("/review/stats/")
    for slug in ("marenostrum-5", "meluxina", "mimer-ai", "lumi", "leonardo"):
        start = local(date(2030, 11, 4))
        pairs = [(start + timedelta(days=i), start + timedelta(days=i + 9)) for i in range(30)]
        decided(System.objects.get(slug=slug), alice, alice_org, *pairs)

    with CaptureQueriesContext(connection) as many:
        html = client.get("/review/stats/").content.decode()

    assert len(many) == len(few)
    assert medians(html)["LUMI AIF"][0] == "33"
