"""Who sees what on the review side: a reviewer sees what is assigned to them, an approver their
site's applications, everybody else a 404. Applicants never see internal notes or reviewers'
names (unless the access mode says so)."""

from __future__ import annotations

import json

import pytest

from applications import services as applications_services
from applications.models import AccessMode, ApplicationStatus
from reviews.models import Assignment, Decision, Review
from reviews.services import assignments as assignment_services
from reviews.services import decisions as decision_services
from reviews.services import routing as routing_services
from tests.fixtures.reviews import REVIEW_VALUES, login, review
from tests.helpers import pdf

pytestmark = pytest.mark.django_db

SECRET = "INTERNAL: the budget looks padded"


@pytest.fixture
def case(submit_application, site_x, media):
    """Alice's application at LUMI with a PDF attached, routed to Tess."""
    application = submit_application(upload=pdf())
    routing_services.application_route(application_id=application.pk)
    application.refresh_from_db()
    return application, application.assignments.get(), application.attachments.get()


def html_calls(application, assignment, attachment) -> list[tuple[str, str]]:
    a, s = application.pk, assignment.pk
    return [
        ("get", f"/review/applications/{a}/"),
        ("post", f"/review/applications/{a}/"),
        ("get", f"/review/applications/{a}/attachments/{attachment.pk}/"),
        ("get", f"/review/assignments/{s}/"),
        ("post", f"/review/assignments/{s}/"),
        ("post", f"/review/assignments/{s}/accept/"),
        ("post", f"/review/assignments/{s}/decline/"),
        ("get", f"/applications/{a}/"),
        ("get", f"/applications/{a}/attachments/{attachment.pk}/"),
    ]


def api_calls(application, assignment) -> list[tuple[str, str, dict]]:
    a, s = application.pk, assignment.pk
    return [
        ("post", f"/api/v1/assignments/{s}/accept/", {}),
        ("post", f"/api/v1/assignments/{s}/review/", REVIEW_VALUES),
        ("post", f"/api/v1/assignments/{s}/decline/", {"reason": "busy"}),
        (
            "post",
            f"/api/v1/applications/{a}/decision/",
            {"outcome": "approve", "gpu_hours": 500, "comment": "Fine."},
        ),
        ("get", f"/api/v1/applications/{a}/", {}),
    ]


def html(client, method: str, url: str):
    data = {
        **REVIEW_VALUES,
        "outcome": "approve",
        "gpu_hours": 500,
        "comment": "Fine.",
        "decline-reason": "busy",
    }
    return client.post(url, data) if method == "post" else client.get(url)


def assert_untouched(application, assignment) -> None:
    application.refresh_from_db()
    assignment.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert assignment.status == Assignment.Status.PENDING
    assert not Review.objects.exists()
    assert not Decision.objects.exists()
    assert application.assignments.count() == 1


OUTSIDERS = ["reviewer of site Y", "approver of site Y", "other reviewer of site X"]


def outsider(who: str, site_x, site_y):
    return {
        "reviewer of site Y": site_y.technical[0],
        "approver of site Y": site_y.approver,
        "other reviewer of site X": site_x.technical[1],  # Theo: LUMI, but not assigned
    }[who]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_it_answers_404_to_outsiders_in_html(client, case, site_x, site_y, who):
    application, assignment, attachment = case
    login(client, outsider(who, site_x, site_y))

    statuses = {
        f"{m} {u}": html(client, m, u).status_code
        for m, u in html_calls(application, assignment, attachment)
    }

    assert set(statuses.values()) == {404}, statuses
    assert_untouched(application, assignment)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_it_answers_404_to_outsiders_in_the_api(client, case, site_x, site_y, who):
    application, assignment, _ = case
    login(client, outsider(who, site_x, site_y))

    responses = {
        f"{m} {u}": client.generic(
            m.upper(), u, data=json.dumps(body), content_type="application/json"
        )
        for m, u, body in api_calls(application, assignment)
    }

    assert {k: r.status_code for k, r in responses.items()} == dict.fromkeys(responses, 404)
    assert all(r.json()["code"] == "not_found" for r in responses.values())
    assert client.get("/api/v1/assignments/").json()["results"] == []
    assert client.get("/api/v1/allocations/").json()["results"] == []
    assert_untouched(application, assignment)


def test_it_shows_the_assigned_reviewer_the_application_and_its_attachment(client, case, site_x):
    application, assignment, attachment = case
    login(client, site_x.technical[0])

    pages = [
        client.get(f"/review/applications/{application.pk}/"),
        client.get(f"/review/assignments/{assignment.pk}/"),
        client.get(f"/review/applications/{application.pk}/attachments/{attachment.pk}/"),
        client.get("/review/"),
    ]

    assert [p.status_code for p in pages] == [200, 200, 200, 200]
    assert b"".join(pages[2].streaming_content).startswith(b"%PDF-")
    assert application.title in pages[3].content.decode()
    assert [a["id"] for a in client.get("/api/v1/assignments/").json()["results"]] == [
        assignment.pk
    ]


def test_it_shows_the_approver_every_application_at_their_site_only(
    client, case, site_x, site_y, submit_application
):
    application, _, _ = case
    at_y = submit_application(system=site_y.system)
    login(client, site_x.approver)

    site_list = client.get("/review/site/?status=").content.decode()
    page = client.get(f"/review/applications/{application.pk}/")
    other = client.get(f"/review/applications/{at_y.pk}/")

    assert f"/review/applications/{application.pk}/" in site_list
    assert f"/review/applications/{at_y.pk}/" not in site_list
    assert page.status_code == 200
    assert "tess@csc.fi" in page.content.decode()  # the approver sees who reviews
    assert other.status_code == 404


def test_it_shows_the_approver_a_draft_withdrawn_before_it_had_an_access_mode(
    client, alice, site_x
):
    draft = applications_services.application_create(applicant=alice, system=site_x.system)
    applications_services.application_withdraw(application=draft, actor=alice)
    login(client, site_x.approver)

    page = client.get(f"/review/applications/{draft.pk}/")

    assert page.status_code == 200  # no review was asked for: none is complete, none missing
    assert page.context["reviews_complete"] is False
    assert page.context["decision_form"] is None


def test_it_refuses_a_decision_from_a_reviewer_who_is_not_an_approver(client, case, site_x):
    application, assignment, _ = case
    review(assignment)
    login(client, site_x.technical[0])  # Tess: assigned, reviewed, not an approver

    api = client.post(
        f"/api/v1/applications/{application.pk}/decision/",
        {"outcome": "approve", "gpu_hours": 1000, "comment": "I like it."},
        content_type="application/json",
    )
    page = client.post(
        f"/review/applications/{application.pk}/",
        {"outcome": "approve", "gpu_hours": 1000, "comment": "I like it."},
    )

    assert api.status_code == 404
    assert page.status_code == 404
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert not Decision.objects.exists()
    # Seeing the page is still fine for her.
    assert client.get(f"/review/applications/{application.pk}/").status_code == 200


def test_it_refuses_the_decision_service_to_a_non_approver(case, site_x, site_y):
    application, assignment, _ = case
    review(assignment)

    for user in (site_x.technical[0], site_y.approver):
        with pytest.raises(type(application).DoesNotExist):
            decision_services.application_decide(
                application=application, approver=user, outcome="approve", gpu_hours=10,
                comment="x",
            )  # fmt: skip
    assert not Decision.objects.exists()


def test_it_hides_the_application_from_the_reviewer_who_declined(client, case, site_x):
    application, assignment, attachment = case
    tess = site_x.technical[0]
    assignment_services.assignment_decline(assignment=assignment, reviewer=tess, reason="Too busy")
    login(client, tess)

    assert client.get(f"/review/applications/{application.pk}/").status_code == 404
    assert client.get(f"/review/assignments/{assignment.pk}/").status_code == 404
    url = f"/review/applications/{application.pk}/attachments/{attachment.pk}/"
    assert client.get(url).status_code == 404


# --- What the applicant sees ----------------------------------------------------------------------


@pytest.fixture
def decided(case, site_x, django_capture_on_commit_callbacks):
    """Tess declines, Theo reviews with an internal note, Paula approves 800 GPU-hours."""
    application, assignment, _ = case
    tess, theo = site_x.technical
    with django_capture_on_commit_callbacks(execute=True):
        assignment_services.assignment_decline(
            assignment=assignment, reviewer=tess, reason="Tess is on leave"
        )
    review(application.assignments.get(reviewer=theo), internal_note=SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        decision_services.application_decide(
            application=application, approver=site_x.approver, outcome="approve",
            gpu_hours=800, comment="Approved with fewer hours.",
        )  # fmt: skip
    return application


REVEALING = [SECRET, "tess@csc.fi", "theo@csc.fi", "Theo", "Tess", "paula@csc.fi", "Paula"]


def test_it_never_shows_internal_notes_or_reviewers_to_the_applicant(
    client, decided, alice, mailoutbox
):
    login(client, alice)

    page = client.get(f"/applications/{decided.pk}/")
    letter = client.get(f"/applications/{decided.pk}/letter/")
    api = client.get(f"/api/v1/applications/{decided.pk}/")

    assert page.status_code == letter.status_code == api.status_code == 200
    text = page.content.decode()
    assert "A well-prepared application." in text  # the comment for the applicant
    assert "Approved with fewer hours." in text
    for body in (text, letter.content.decode(), api.content.decode()):
        for word in REVEALING:
            assert word not in body, word
    assert {e["actor"] for e in api.json()["events"]} <= {
        "Alice Applicant",
        "AI Factory staff",
        None,
    }
    (mail,) = [m for m in mailoutbox if m.to == ["alice@example.org"]]
    # The decision letter in the email is signed by the approver, by name and role (issue 12):
    # her name, never her address.
    assert "Paula Approver" in mail.body
    for word in REVEALING:
        if word != "Paula":
            assert word not in mail.body


def test_it_names_the_reviewers_when_the_access_mode_says_so(client, decided, alice):
    AccessMode.objects.filter(pk=decided.access_mode_id).update(reviewer_identities_visible=True)
    login(client, alice)

    text = client.get(f"/applications/{decided.pk}/").content.decode()

    assert "Technical review by Theo Technical" in text
    assert SECRET not in text
    assert "tess@csc.fi" not in text  # who declined stays internal
