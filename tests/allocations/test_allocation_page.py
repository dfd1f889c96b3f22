"""The allocation's page: what a holder and the site see, what the site's approver changes
there, and who is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from allocations import services
from allocations.models import Allocation
from applications.models import ApplicationEvent
from reviews.services import routing as routing_services
from tests.allocations.conftest import ASKED, approve
from tests.fixtures.reviews import login
from tests.queries import SESSION_QUERIES, USER_QUERIES

pytestmark = pytest.mark.django_db


def page(allocation):
    return reverse("allocations:detail", args=[allocation.application_id])


def test_the_applicant_sees_award_usage_dates_conditions_and_next_step(
    client, awarded, alice, django_assert_max_num_queries
):
    services.allocation_activate(awarded, actor=None, reason="Hand-off completed")
    services.allocation_record_usage(awarded, Decimal("4000"))
    login(client, alice)
    with django_assert_max_num_queries(SESSION_QUERIES + USER_QUERIES + 10):
        response = client.get(page(awarded))
    body = response.content.decode()
    assert response.status_code == 200
    assert awarded.reference in body
    assert "16,000" in body and "4,000" in body and "12,000" in body  # awarded, used, left
    assert f"{awarded.end:%-d %B %Y}" in body
    assert "Hand in a final report within 30 days" in body
    assert "GPU-hours left, until" in body
    assert "Decision letter (PDF)" in body
    assert "Ask for a change" in body
    assert "Change the allocation" not in body  # the holder does not move it


def test_the_sites_approver_moves_it_with_a_reason(client, awarded, site_x):
    login(client, site_x.approver)
    assert "Change the allocation" in client.get(page(awarded)).content.decode()
    response = client.post(
        reverse("allocations:move", args=[awarded.application_id]),
        {"move": "activate", "reason": "Project set up on LUMI"},
        follow=True,
    )
    assert "The allocation is active." in response.content.decode()
    awarded.refresh_from_db()
    assert awarded.status == Allocation.Status.ACTIVE
    event = ApplicationEvent.objects.get(
        application=awarded.application, kind=ApplicationEvent.Kind.ALLOCATION
    )
    assert event.actor == site_x.approver and event.message == "Active: Project set up on LUMI"


def test_a_move_the_map_refuses_says_why_and_changes_nothing(client, awarded, site_x):
    login(client, site_x.approver)
    response = client.post(
        reverse("allocations:move", args=[awarded.application_id]),
        {"move": "resume", "reason": "Why not"},
        follow=True,
    )
    assert "not suspended: there is nothing to resume" in response.content.decode()
    awarded.refresh_from_db()
    assert awarded.status == Allocation.Status.AWARDED


def test_a_move_without_a_reason_is_refused(client, awarded, site_x):
    login(client, site_x.approver)
    response = client.post(
        reverse("allocations:move", args=[awarded.application_id]), {"move": "close"}, follow=True
    )
    assert "Choose a change and give its reason." in response.content.decode()
    awarded.refresh_from_db()
    assert awarded.status == Allocation.Status.AWARDED


@pytest.mark.parametrize("who", ["alice", "staff", "other_approver"])
def test_nobody_but_the_sites_approver_moves_it(client, awarded, alice, site_y, staff, who):
    user = {
        "alice": alice,
        "staff": staff,
        "other_approver": site_y.approver,
    }[who]
    login(client, user)
    response = client.post(
        reverse("allocations:move", args=[awarded.application_id]),
        {"move": "close", "reason": "Closing it"},
    )
    assert response.status_code == 404
    awarded.refresh_from_db()
    assert awarded.status == Allocation.Status.AWARDED


def test_an_outsider_gets_a_404(client, awarded, bob, site_y):
    for user in (bob, site_y.approver):
        assert login(client, user).get(page(awarded)).status_code == 404


def test_each_move_shows_on_the_applicants_timeline(client, awarded, alice, site_x):
    services.allocation_activate(awarded, actor=site_x.approver, reason="Project set up")
    body = login(client, alice).get(f"/applications/{awarded.application_id}/").content.decode()
    assert "<strong>Allocation</strong>: Active: Project set up" in body
    assert reverse("allocations:detail", args=[awarded.application_id]) in body


def test_the_sites_reports_page_reads_in_constant_queries(
    client, awarded, site_x, submit_application, django_assert_max_num_queries
):
    for _ in range(3):
        application = submit_application(gpu_hours=ASKED)
        routing_services.application_route(application_id=application.pk)
        approve(application, site_x.approver)
    login(client, site_x.approver)
    client.get(reverse("allocations:reports"))
    with django_assert_max_num_queries(SESSION_QUERIES + USER_QUERIES + 6):
        response = client.get(reverse("allocations:reports"))
    assert response.content.decode().count("Final report") == 4
