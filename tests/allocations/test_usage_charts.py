"""The usage charts: on the allocation's page, GPU-hours used by each month's end against the
award and the time passed (SVG from the server, with a table for screen readers); for the site,
awarded, used and left per system; in constant queries; nobody else sees them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from allocations import services
from allocations.charts import monthly_usage, usage_chart
from allocations.services import reclaim
from reviews.services import routing as routing_services
from tests.allocations.conftest import AWARD, approve
from tests.fixtures.reviews import login
from tests.queries import SESSION_QUERIES, USER_QUERIES
from usage.services import usage_records_push

pytestmark = pytest.mark.django_db


def push(allocation, day: datetime.date, gpu_hours: str) -> None:
    usage_records_push(
        factory=allocation.system.factory,
        records=[{"allocation": allocation.pk, "period_start": day, "period_end": day,
                  "gpu_hours": Decimal(gpu_hours)}],
    )  # fmt: skip


@pytest.fixture
def active(awarded):
    return services.allocation_activate(awarded, actor=None, reason="Hand-off completed")


def test_the_chart_counts_usage_by_month_against_the_award_and_the_time(active):
    push(active, active.start, "1000")
    push(active, active.start + datetime.timedelta(days=1), "500")
    later = active.start.replace(day=1) + datetime.timedelta(days=40)
    push(active, later, "2500")
    active.refresh_from_db()
    midway = active.start + (active.end - active.start) / 2
    chart = usage_chart(active, monthly=monthly_usage(active), today=midway)
    first, second = chart.bars[0], chart.bars[1]
    assert (first.used, first.cumulative) == (Decimal("1500"), Decimal("1500"))
    assert (second.used, second.cumulative) == (Decimal("2500"), Decimal("4000"))
    assert chart.bars[-1].cumulative == Decimal("4000")
    assert chart.award == AWARD and chart.used_percent == 25 and chart.elapsed_percent == 50
    assert first.height < second.height and chart.award_y < second.y  # the award is above
    assert chart.today_x is not None and chart.pace[0] < chart.today_x < chart.pace[2]
    assert usage_chart(active, monthly={}, today=active.end + datetime.timedelta(1)).today_x is None


def test_the_allocation_page_shows_the_chart_in_constant_queries(
    client, active, alice, django_assert_max_num_queries
):
    push(active, active.start, "4000")
    login(client, alice)
    with django_assert_max_num_queries(SESSION_QUERIES + USER_QUERIES + 12):
        body = client.get(reverse("allocations:detail", args=[active.application_id])).content
    text = body.decode()
    assert "25 % of the GPU-hours used" in text and "<svg" in text
    assert f"{active.start:%b %Y}</th><td>4,000" in text  # the table beside the chart
    assert "Give notice of reclaiming" not in text  # the holder does not reclaim


def test_the_site_sees_awarded_used_and_left_per_system(
    client, active, site_x, site_y, submit_application, django_assert_max_num_queries
):
    services.allocation_record_usage(active, Decimal("6000"))
    reclaim_notice = reclaim.reclaim_notice_create(
        active, approver=site_x.approver, gpu_hours=1000, reason="Idle."
    )
    reclaim.reclaim_notice_answer(reclaim_notice, user=active.application.applicant, text="Ok.")
    reclaim.reclaim_decide(reclaim_notice, approver=site_x.approver, outcome="reclaim", comment="C")
    login(client, site_x.approver)
    url = reverse("allocations:usage")
    with django_assert_max_num_queries(SESSION_QUERIES + USER_QUERIES + 4):
        response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200 and "LUMI" in body
    assert "15,000" in body and "6,000" in body and "9,000" in body  # awarded, used, left
    second = submit_application(gpu_hours=1000, title="Second")
    routing_services.application_route(application_id=second.pk)
    second.refresh_from_db()
    other = approve(second, site_x.approver, 900)
    with django_assert_max_num_queries(SESSION_QUERIES + USER_QUERIES + 4):
        client.get(url)  # one more allocation: the same queries
    assert other.pk
    login(client, site_y.approver)
    assert "15,000" not in client.get(url).content.decode()  # another site's systems only


def test_applicants_and_reviewers_do_not_see_the_sites_usage(client, alice, site_x):
    login(client, alice)
    assert client.get(reverse("allocations:usage")).status_code == 403
