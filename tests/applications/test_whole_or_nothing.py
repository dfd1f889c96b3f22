"""Whole or nothing: every write, API and HTML, is one transaction with its validation. Each write
endpoint gets an invalid body (or a request its rules refuse) and must answer a 4xx (a form error
on an HTML page) and leave every row as it was: the row counts and every field value of the
applications, organisations, reviews and allocations tables are compared before and after."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps

from applications.models import Application, ApplicationStatus
from reviews.models import Assignment
from tests.fixtures.reviews import REVIEW_VALUES, login, review_all

pytestmark = pytest.mark.django_db

APPS = ("applications", "organisations", "reviews", "allocations", "notifications")


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of the portal's own tables, field by field."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for label in APPS
        for model in apps.get_app_config(label).get_models()
    }


def api(client, method: str, path: str, body: Any = None):
    data = body if isinstance(body, str) else json.dumps(body) if body is not None else None
    return getattr(client, method)(f"/api/v1/{path}", data, content_type="application/json")


def assert_refused_and_unchanged(do, status: tuple[int, ...] = (400, 409)) -> dict:
    before = snapshot()
    response = do()
    assert response.status_code in status, response.content[:400]
    assert snapshot() == before
    return response.json() if response["Content-Type"].startswith("application/json") else {}


BAD_TEAM = [{"name": "Ada", "email": "ada@example.org"}, {"name": "Bad", "email": "not-an-email"}]
TWICE = [{"name": "Ada", "email": "ada@example.org"}, {"name": "Ada 2", "email": "ADA@example.org"}]


# --- API ----------------------------------------------------------------------------------------


def test_an_api_create_with_an_invalid_team_creates_no_draft(client, alice):
    client.force_login(alice)

    body = assert_refused_and_unchanged(
        lambda: api(client, "post", "applications/", {"title": "New", "team_members": BAD_TEAM})
    )

    assert body["errors"] == {"team_members": ["Item 2, email: Enter a valid email address."]}


def test_an_api_create_with_a_member_listed_twice_creates_no_draft(client, alice):
    client.force_login(alice)

    body = assert_refused_and_unchanged(
        lambda: api(client, "post", "applications/", {"title": "New", "team_members": TWICE})
    )

    assert body["code"] == "conflict"
    assert body["errors"] == {"team_members": ["ada@example.org is listed twice."]}


@pytest.mark.parametrize("team", [BAD_TEAM, TWICE], ids=["invalid-email", "listed-twice"])
def test_an_api_update_with_an_invalid_team_keeps_the_title(client, alice, draft, team):
    client.force_login(alice)

    assert_refused_and_unchanged(
        lambda: api(
            client, "patch", f"applications/{draft.pk}/", {"title": "Changed", "team_members": team}
        )
    )


def test_an_api_update_naming_someone_elses_organisation_changes_nothing(
    client, alice, draft, bob_org
):
    client.force_login(alice)

    body = assert_refused_and_unchanged(
        lambda: api(
            client,
            "patch",
            f"applications/{draft.pk}/",
            {"title": "Changed", "organisation": bob_org.pk},
        )
    )

    assert body["errors"] == {
        "organisation": [f"You are not a member of an organisation numbered {bob_org.pk}."]
    }


def test_an_api_submission_that_breaks_a_rule_changes_nothing(client, alice, draft):
    Application.objects.filter(pk=draft.pk).update(gpu_hours=60_000)
    client.force_login(alice)

    assert_refused_and_unchanged(
        lambda: api(client, "post", f"applications/{draft.pk}/submit/", {"ignored": True})
    )


def test_an_api_withdrawal_of_a_decided_application_changes_nothing(client, alice, submitted):
    Application.objects.filter(pk=submitted.pk).update(status=ApplicationStatus.REJECTED)
    client.force_login(alice)

    assert_refused_and_unchanged(
        lambda: api(client, "post", f"applications/{submitted.pk}/withdraw/")
    )


@pytest.mark.parametrize(
    "body",
    [
        {"legal_name": "Alice AI", "country": "DE", "org_type": "charity"},
        {"legal_name": "Alice AI", "country": "DE", "org_type": "startup", "website": "ftp://x"},
        {"legal_name": "Alice\nAI", "country": "DE", "org_type": "startup"},
        {"legal_name": "Alice AI", "country": "DE", "org_type": "startup",
         "registration_number": "DE136695977"},
    ],
    ids=["org-type", "website", "line-break", "vat-rule"],
)  # fmt: skip
def test_an_api_organisation_create_that_is_refused_creates_nothing(client, alice, body):
    client.force_login(alice)

    assert_refused_and_unchanged(lambda: api(client, "post", "organisations/", body))


def _assignment(routed) -> Assignment:
    return routed.assignments.select_related("reviewer").first()


def test_an_api_accept_of_a_declined_assignment_changes_nothing(client, routed):
    assignment = _assignment(routed)
    Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.DECLINED)
    login(client, assignment.reviewer)

    assert_refused_and_unchanged(
        lambda: api(client, "post", f"assignments/{assignment.pk}/accept/")
    )


@pytest.mark.parametrize(
    "body", [{"reason": ""}, {"reason": "Busy\r\nBCC: x"}, {"reason": "Busy", "x": 1}]
)
def test_an_api_decline_with_an_invalid_body_changes_nothing(client, routed, body):
    assignment = _assignment(routed)
    login(client, assignment.reviewer)

    assert_refused_and_unchanged(
        lambda: api(client, "post", f"assignments/{assignment.pk}/decline/", body)
    )


@pytest.mark.parametrize(
    "changes",
    [{"technical_feasibility": 6}, {"comment_for_applicant": "\x00"},
     {"recommended_gpu_hours": 10**12}],
    ids=["score", "nul", "hours"],
)  # fmt: skip
def test_an_api_review_with_an_invalid_body_changes_nothing(client, routed, changes):
    assignment = _assignment(routed)
    login(client, assignment.reviewer)

    assert_refused_and_unchanged(
        lambda: api(
            client, "post", f"assignments/{assignment.pk}/review/", {**REVIEW_VALUES, **changes}
        )
    )


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "maybe", "comment": "No."},
        {"outcome": "approved", "gpu_hours": 10**12, "comment": "Yes."},
        {"outcome": "approved", "gpu_hours": 999_999_999, "comment": "Beyond capacity."},
    ],
    ids=["outcome", "hours", "capacity"],
)
def test_an_api_decision_that_is_refused_changes_nothing(client, routed, site_x, body):
    review_all(routed)
    login(client, site_x.approver)

    assert_refused_and_unchanged(
        lambda: api(client, "post", f"applications/{routed.pk}/decision/", body)
    )


# --- HTML ---------------------------------------------------------------------------------------


def test_an_html_project_step_with_an_invalid_team_keeps_the_title(client, alice, draft):
    client.force_login(alice)
    data = {"title": "Changed", "team-TOTAL_FORMS": "1", "team-INITIAL_FORMS": "0",
            "team-0-name": "Bad", "team-0-email": "not-an-email"}  # fmt: skip

    assert_refused_and_unchanged(
        lambda: client.post(f"/applications/{draft.pk}/edit/project/", data), status=(200,)
    )


def test_an_html_data_step_with_an_active_pdf_keeps_the_fields(client, alice, draft, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(alice)
    upload = SimpleUploadedFile("plan.pdf", _pdf_with_javascript(), "application/pdf")
    data = {"data_sources": "Changed", "personal_data": "no", "attachment": upload, "go": "stay"}

    assert_refused_and_unchanged(
        lambda: client.post(f"/applications/{draft.pk}/edit/data/", data), status=(200,)
    )


def test_an_html_decline_with_a_line_break_changes_nothing(client, routed):
    assignment = _assignment(routed)
    login(client, assignment.reviewer)

    assert_refused_and_unchanged(
        lambda: client.post(
            f"/review/assignments/{assignment.pk}/decline/", {"reason": "Busy\nBCC: x"}
        ),
        status=(200, 302),
    )


def _pdf_with_javascript() -> bytes:
    from tests.applications.test_uploads import pdf_with

    return pdf_with(open_action="/JavaScript")
