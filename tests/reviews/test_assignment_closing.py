"""An application that ends (withdrawn, approved, rejected) closes the review assignments still
open on it: they leave the reviewer's desk, stop counting against the reviewer's load (so later
applications are not sent to "needs attention"), can be neither accepted nor declined, get no
reminder, and the reviewer is told once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from applications import services
from applications.models import ApplicationStatus
from notifications.models import Notification
from reviews import selectors as review_selectors
from reviews.models import Assignment, SiteRole
from reviews.services import deadlines as deadline_services
from reviews.services import decisions as decision_services
from reviews.services import routing as routing_services
from tests.fixtures.reviews import login, review_all

pytestmark = pytest.mark.django_db


def load(site, reviewer) -> int:
    candidates = review_selectors.routing_candidates(factory_id=site.factory.pk)
    return next(c.open_assignments for c in candidates if c.user_id == reviewer.pk)


def test_it_closes_the_assignments_of_a_withdrawn_application(routed, alice, site_x):
    tess = site_x.technical[0]
    assert load(site_x, tess) == 1

    services.application_withdraw(application=routed, actor=alice)

    assignment = routed.assignments.get()
    assert assignment.status == Assignment.Status.CLOSED
    assert assignment.reviewer == tess
    assert load(site_x, tess) == 0
    mail = Notification.objects.get(key=f"closed:{assignment.pk}")
    assert mail.recipient == tess.email
    assert "no longer needed" in mail.subject.lower()


def test_it_takes_a_withdrawn_assignment_off_the_desk(client, routed, alice, site_x):
    login(client, site_x.technical[0])
    assert routed.title in client.get("/review/").content.decode()

    services.application_withdraw(application=routed, actor=alice)

    assert routed.title not in client.get("/review/").content.decode()


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_it_refuses_to_accept_or_decline_a_closed_assignment(client, routed, alice, site_x, action):
    services.application_withdraw(application=routed, actor=alice)
    assignment = routed.assignments.get()
    login(client, site_x.technical[0])

    response = client.post(
        f"/api/v1/assignments/{assignment.pk}/{action}/",
        {"reason": "busy"},
        content_type="application/json",
    )

    # Refused with a JSON error: 409 (a state conflict) once the API says so, 400 before.
    assert response.status_code in (400, 409)
    assert response.json()["detail"]
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.CLOSED


def test_it_sends_no_reminder_for_a_closed_assignment(routed, alice):
    assignment = routed.assignments.get()
    services.application_withdraw(application=routed, actor=alice)
    today = assignment.due_by - timedelta(days=1)

    result = deadline_services.deadlines_check(today=today)

    assert result["reminders"] == 0
    assert not Notification.objects.filter(key__startswith="reminder:").exists()


def test_it_lets_a_reviewer_at_the_limit_take_new_work_after_a_withdrawal(
    submit_application, alice, site_x
):
    tess = site_x.technical[0]
    SiteRole.objects.filter(user__in=site_x.technical).update(max_open_assignments=1)
    for theo_load in site_x.technical[1:]:
        SiteRole.objects.filter(user=theo_load).update(is_active=False)
    first = submit_application()
    routing_services.application_route(application_id=first.pk)
    services.application_withdraw(application=first, actor=alice)

    second = submit_application()
    routing_services.application_route(application_id=second.pk)

    second.refresh_from_db()
    assert second.status == ApplicationStatus.UNDER_REVIEW
    assert second.assignments.get().reviewer == tess


def test_it_closes_an_assignment_still_open_when_the_application_is_decided(
    submit_application, site_x
):
    application = submit_application()
    routing_services.application_route(application_id=application.pk)
    review_all(application)
    theo = site_x.technical[1]
    extra = Assignment.objects.create(
        application=application,
        reviewer=theo,
        kind=Assignment.Kind.TECHNICAL,
        due_by=timezone.localdate() + timedelta(days=5),
    )

    decision_services.application_decide(
        application=application, approver=site_x.approver, outcome="reject", gpu_hours=None,
        comment="Out of scope.",
    )  # fmt: skip

    extra.refresh_from_db()
    assert extra.status == Assignment.Status.CLOSED
    done = application.assignments.exclude(pk=extra.pk).get()
    assert done.status == Assignment.Status.DONE  # a review given stays given
    assert Notification.objects.filter(key=f"closed:{extra.pk}", recipient=theo.email).exists()
