"""A reviewer's assignment: accept, review, decline; a declined conflict of interest is recorded
and the application goes to somebody else."""

from __future__ import annotations

import pytest

from applications.models import ApplicationEvent, ApplicationStatus
from notifications.models import Notification
from reviews.models import Assignment, ConflictOfInterest, Review, RoutingRecord
from reviews.services import assignments as assignment_services
from reviews.services import routing as routing_services
from tests.fixtures.reviews import REVIEW_VALUES, login, review

pytestmark = pytest.mark.django_db


def api(assignment, action: str) -> str:
    return f"/api/v1/assignments/{assignment.pk}/{action}/"


def post(client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")


def test_it_accepts_an_assignment_once(client, routed, site_x):
    assignment = routed.assignments.get()
    login(client, site_x.technical[0])

    first = post(client, api(assignment, "accept"))
    assignment.refresh_from_db()
    responded = assignment.responded_at
    second = post(client, api(assignment, "accept"))

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["status"] == second.json()["status"] == "accepted"
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACCEPTED
    assert responded is not None
    assert assignment.responded_at == responded


def test_it_records_a_review_and_tells_the_approver(
    client, routed, site_x, django_capture_on_commit_callbacks, mailoutbox
):
    assignment = routed.assignments.get()
    login(client, site_x.technical[0])

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, api(assignment, "review"), {**REVIEW_VALUES, "internal_note": "x"})

    assert response.status_code == 201, response.json()
    assert response.json()["recommendation"] == "approve"
    saved = Review.objects.get()
    assert (saved.assignment, saved.technical_feasibility, saved.internal_note) == (
        assignment,
        4,
        "x",
    )
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.DONE
    assert routed.events.filter(kind=ApplicationEvent.Kind.REVIEWED).count() == 1
    assert [m.to for m in mailoutbox] == [["paula@csc.fi"]]
    assert Notification.objects.filter(key=f"ready:{routed.pk}:paula@csc.fi").exists()

    again = post(client, api(assignment, "review"), REVIEW_VALUES)
    assert again.status_code == 409
    assert "This assignment is review submitted." in str(again.json())
    assert Review.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        pytest.param(
            {"recommendation": "approve_fewer"},
            "recommended_gpu_hours",
            "Say how many GPU-hours you recommend.",
            id="fewer without a number",
        ),
        pytest.param(
            {"recommendation": "approve_fewer", "recommended_gpu_hours": 1000},
            "recommended_gpu_hours",
            "Recommend fewer than the 1,000 requested.",
            id="fewer that is not fewer",
        ),
        pytest.param(
            {"recommended_gpu_hours": 1001},
            "recommended_gpu_hours",
            "At most the 1,000 GPU-hours requested.",
            id="more than requested",
        ),
        pytest.param(
            {"ai_innovation": 6},
            "ai_innovation",
            "Ensure this value is less than or equal to 5.",
            id="score above 5",
        ),
        pytest.param(
            {"team_readiness_note": ""},
            "team_readiness_note",
            "This field may not be blank.",
            id="score without justification",
        ),
    ],
)
def test_it_answers_400_or_409_for_a_bad_review(client, routed, site_x, values, field, message):
    """A body the schema refuses is a 400; hours the service's rules refuse, a 409."""
    assignment = routed.assignments.get()
    login(client, site_x.technical[0])

    response = post(client, api(assignment, "review"), {**REVIEW_VALUES, **values})

    assert response.status_code == (409 if field == "recommended_gpu_hours" else 400)
    assert response.json()["errors"][field] == [message]
    assert not Review.objects.exists()
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.PENDING


def test_it_records_a_review_through_the_html_form(client, routed, site_x):
    assignment = routed.assignments.get()
    login(client, site_x.technical[0])

    response = client.post(f"/review/assignments/{assignment.pk}/", REVIEW_VALUES)

    assert response.status_code == 302
    assert response.url == "/review/"
    assert Review.objects.get().assignment == assignment


# --- Declining ------------------------------------------------------------------------------------


def test_it_reroutes_and_records_a_conflict_of_interest(
    client, routed, site_x, alice_org, django_capture_on_commit_callbacks, mailoutbox
):
    tess, theo = site_x.technical
    assignment = routed.assignments.get()
    login(client, tess)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            api(assignment, "decline"),
            {"reason": "I advised their founder last year.", "conflict_of_interest": True},
        )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "declined"
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.DECLINED
    assert assignment.declined_for_conflict
    assert assignment.decline_reason == "I advised their founder last year."
    conflict = ConflictOfInterest.objects.get()
    assert (conflict.reviewer, conflict.organisation) == (tess, alice_org)
    # Routed again, to Theo, with Tess excluded and the reason on record.
    routed.refresh_from_db()
    assert routed.status == ApplicationStatus.UNDER_REVIEW
    replacement = routed.assignments.exclude(pk=assignment.pk).get()
    assert (replacement.reviewer, replacement.kind) == (theo, Assignment.Kind.TECHNICAL)
    record = routed.routing_records.first()
    assert (record.trigger, record.outcome) == ("decline", RoutingRecord.Outcome.ROUTED)
    assert {e["email"]: e["reason"] for e in record.exclusions} == {
        "tess@csc.fi": "already asked to review this application"
    }
    declined = routed.events.get(internal=True, actor=tess)
    assert "tess@csc.fi declined the technical review" in declined.message
    assert [m.to for m in mailoutbox] == [["theo@csc.fi"]]
    # Tess no longer sees the application, and is never routed Alice AI's applications again.
    assert client.get(f"/review/applications/{routed.pk}/").status_code == 404


def test_it_keeps_a_declared_conflict_for_the_organisations_next_applications(
    routed, site_x, submit_application
):
    tess = site_x.technical[0]
    assignment_services.assignment_decline(
        assignment=routed.assignments.get(), reviewer=tess, reason="Conflict",
        conflict_of_interest=True,
    )  # fmt: skip

    later = submit_application(title="Second project")
    record = routing_services.application_route(application_id=later.pk)

    assert later.assignments.get().reviewer == site_x.technical[1]
    assert {e["email"]: e["reason"] for e in record.exclusions} == {
        "tess@csc.fi": "declared a conflict of interest with the applicant's organisation"
    }


def test_it_declines_without_conflict_and_still_finds_a_replacement(
    routed, site_x, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assignment_services.assignment_decline(
            assignment=routed.assignments.get(), reviewer=site_x.technical[0], reason="On leave"
        )

    assert not ConflictOfInterest.objects.exists()
    assert routed.assignments.get(status=Assignment.Status.PENDING).reviewer == site_x.technical[1]


def test_it_flags_the_application_when_nobody_is_left_after_a_decline(
    routed, site_x, admin_user, django_capture_on_commit_callbacks, mailoutbox
):
    tess, theo = site_x.technical
    with django_capture_on_commit_callbacks(execute=True):
        assignment_services.assignment_decline(
            assignment=routed.assignments.get(), reviewer=tess, reason="Conflict",
            conflict_of_interest=True,
        )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assignment_services.assignment_decline(
            assignment=routed.assignments.get(reviewer=theo), reviewer=theo, reason="Busy"
        )

    routed.refresh_from_db()
    assert routed.status == ApplicationStatus.NEEDS_ATTENTION
    assert "missing 1 technical reviewer(s)" in routed.attention_reason
    alerted = sorted(m.to[0] for m in mailoutbox if "Needs attention" in m.subject)
    assert alerted == ["admin@example.org", "paula@csc.fi"]


def test_it_answers_400_to_a_decline_without_a_reason(client, routed, site_x):
    assignment = routed.assignments.get()
    login(client, site_x.technical[0])

    response = post(client, api(assignment, "decline"), {"reason": ""})

    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.PENDING


def test_it_refuses_to_decline_after_reviewing(client, routed, site_x):
    assignment = routed.assignments.get()
    review(assignment)
    login(client, site_x.technical[0])

    response = post(client, api(assignment, "decline"), {"reason": "Changed my mind"})

    assert response.status_code == 409
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.DONE
