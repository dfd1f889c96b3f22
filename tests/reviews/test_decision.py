"""The site approver's decision: within what was asked and what the system has left, with
reasons, only once the reviews are in; an approval creates the allocation and the letter."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from allocations.models import Allocation
from applications.models import ApplicationEvent, ApplicationStatus
from factories.models import System
from notifications.models import Notification
from reviews.models import Decision
from reviews.services import decisions as decision_services
from reviews.services import routing as routing_services
from tests.fixtures.reviews import login, review, review_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(routed):
    """Alice's Fast Lane application (1,000 GPU-hours at LUMI), reviewed by Tess."""
    review_all(routed)
    return routed


def decide(client, application, **body):
    return client.post(
        f"/api/v1/applications/{application.pk}/decision/", body, content_type="application/json"
    )


def set_capacity(site, hours: int | None) -> None:
    System.objects.filter(pk=site.system.pk).update(allocatable_gpu_hours_per_year=hours)


def assert_undecided(application) -> None:
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert not Decision.objects.exists()
    assert not Allocation.objects.exists()


# --- Approval -------------------------------------------------------------------------------------


def test_it_approves_creates_the_allocation_and_tells_the_applicant(
    client, ready, site_x, alice, django_capture_on_commit_callbacks, mailoutbox
):
    login(client, site_x.approver)

    with django_capture_on_commit_callbacks(execute=True):
        response = decide(client, ready, outcome="approve", gpu_hours=800, comment="Good plan.")

    assert response.status_code == 201, response.json()
    allocation = Allocation.objects.get()
    assert response.json() == {
        "application": ready.pk,
        "outcome": "approve",
        "gpu_hours": 800,
        "comment": "Good plan.",
        "created_at": response.json()["created_at"],
        "allocation": allocation.pk,
    }
    ready.refresh_from_db()
    assert ready.status == ApplicationStatus.APPROVED
    assert ready.decided_at is not None
    assert (allocation.application, allocation.system, allocation.gpu_hours) == (
        ready,
        site_x.system,
        800,
    )
    assert allocation.start == ready.start_date
    assert allocation.period_year == ready.start_date.year
    assert allocation.end > allocation.start
    event = ready.events.get(kind=ApplicationEvent.Kind.APPROVED)
    assert (event.actor, event.from_status, event.to_status) == (
        site_x.approver,
        ApplicationStatus.UNDER_REVIEW,
        ApplicationStatus.APPROVED,
    )
    assert event.message == "Approved: 800 GPU-hours on LUMI."
    (mail,) = [m for m in mailoutbox if m.to == ["alice@example.org"]]
    assert "was approved: 800 GPU-hours on LUMI" in mail.body
    assert f"/applications/{ready.pk}/" in mail.body
    assert Notification.objects.get(key=f"decision:{ready.pk}").sent_at is not None

    letter = login(client, alice).get(f"/applications/{ready.pk}/letter/")
    assert letter.status_code == 200
    text = letter.content.decode()
    assert "<strong>approved</strong>" in text
    assert '<th scope="row">GPU-hours awarded</th><td>800</td>' in text
    assert "Good plan." in text


def test_it_approves_through_the_html_form(client, ready, site_x):
    login(client, site_x.approver)

    response = client.post(
        f"/review/applications/{ready.pk}/",
        {"outcome": "approve", "gpu_hours": 1000, "comment": "All of it."},
    )

    assert response.status_code == 302
    assert Allocation.objects.get().gpu_hours == 1000
    page = client.get(response.url).content.decode()
    assert "The decision was recorded and the applicant told." in page


def test_it_shows_the_letter_to_the_sites_reviewers_but_not_to_another_site(
    client, ready, site_x, site_y
):
    decision_services.application_decide(
        application=ready, approver=site_x.approver, outcome="approve", gpu_hours=500,
        comment="Half.",
    )  # fmt: skip

    assert (
        login(client, site_x.technical[0]).get(f"/applications/{ready.pk}/letter/").status_code
        == 200
    )
    assert (
        login(client, site_y.approver).get(f"/applications/{ready.pk}/letter/").status_code == 404
    )


# --- Refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        pytest.param(
            {"outcome": "approve", "gpu_hours": 1001, "comment": "More!"},
            "gpu_hours",
            "At most the 1,000 GPU-hours requested.",
            id="more than requested",
        ),
        pytest.param(
            {"outcome": "approve", "comment": "How many?"},
            "gpu_hours",
            "Award more than 0 GPU-hours.",
            id="approval without hours",
        ),
        pytest.param(
            {"outcome": "approve", "gpu_hours": 500, "comment": "   "},
            "comment",
            "This field may not be blank.",
            id="approval without reasons",
        ),
        pytest.param(
            {"outcome": "reject", "comment": ""},
            "comment",
            "This field may not be blank.",
            id="rejection without reasons",
        ),
        pytest.param(
            {"outcome": "maybe", "comment": "Hmm."},
            "outcome",
            '"maybe" is not a valid choice.',
            id="unknown outcome",
        ),
    ],
)
def test_it_answers_400_or_409_for_a_bad_decision(client, ready, site_x, body, field, message):
    """A body the schema refuses is a 400; hours the service's rules refuse, a 409."""
    login(client, site_x.approver)

    response = decide(client, ready, **body)

    status, code = (409, "conflict") if field == "gpu_hours" else (400, "invalid")
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["errors"][field] == [message]
    assert_undecided(ready)


def test_it_refuses_a_rejection_without_reasons_in_the_service(ready, site_x):
    with pytest.raises(ValidationError) as caught:
        decision_services.application_decide(
            application=ready, approver=site_x.approver, outcome="reject", gpu_hours=None,
            comment="  ",
        )  # fmt: skip

    assert caught.value.message_dict == {"comment": ["Give the reasons for the decision."]}
    assert_undecided(ready)


def test_it_refuses_more_than_the_system_has_left(client, ready, site_x):
    set_capacity(site_x, 900)
    year = ready.start_date.year
    login(client, site_x.approver)

    response = decide(client, ready, outcome="approve", gpu_hours=1000, comment="All.")

    assert response.status_code == 409
    assert response.json()["errors"]["gpu_hours"] == [
        f"Only 900 GPU-hours are left on LUMI for {year}."
    ]
    assert_undecided(ready)
    # What is left is fine.
    assert (
        decide(client, ready, outcome="approve", gpu_hours=900, comment="All.").status_code == 201
    )


def test_it_counts_earlier_allocations_of_the_same_year_against_capacity(
    client, ready, site_x, submit_application
):
    set_capacity(site_x, 1500)
    earlier = submit_application(title="Earlier")
    routing_services.application_route(application_id=earlier.pk)
    review_all(earlier)
    decision_services.application_decide(
        application=earlier, approver=site_x.approver, outcome="approve", gpu_hours=1000,
        comment="Yes.",
    )  # fmt: skip
    login(client, site_x.approver)

    response = decide(client, ready, outcome="approve", gpu_hours=501, comment="More.")

    assert response.status_code == 409
    assert "Only 500 GPU-hours are left on LUMI" in response.json()["errors"]["gpu_hours"][0]
    ready.refresh_from_db()
    assert ready.status == ApplicationStatus.UNDER_REVIEW


def test_it_refuses_an_approval_while_the_capacity_is_unpublished(client, ready, site_x):
    set_capacity(site_x, None)
    login(client, site_x.approver)

    response = decide(client, ready, outcome="approve", gpu_hours=100, comment="Yes.")

    assert response.status_code == 409
    assert response.json()["errors"]["gpu_hours"] == [
        "The capacity of LUMI is not published yet: an admin must set its allocatable GPU-hours "
        "per year first."
    ]
    assert_undecided(ready)
    # A rejection needs no capacity.
    assert decide(client, ready, outcome="reject", comment="Out of scope.").status_code == 201


def test_it_refuses_a_decision_before_the_required_reviews(client, submit_application, site_x):
    application = submit_application(mode="large-scale")
    routing_services.application_route(application_id=application.pk)
    *reviewed, _missing = application.assignments.order_by("kind")
    for assignment in reviewed:
        review(assignment)
    login(client, site_x.approver)

    response = decide(client, application, outcome="reject", comment="No.")

    assert response.status_code == 409
    assert response.json()["errors"] == {
        "non_field_errors": ["The reviews this access mode needs are not all in yet."]
    }
    assert_undecided(application)


def test_it_refuses_a_second_decision(client, ready, site_x):
    login(client, site_x.approver)
    assert decide(client, ready, outcome="reject", comment="No.").status_code == 201

    again = decide(client, ready, outcome="approve", gpu_hours=10, comment="Yes after all.")

    assert again.status_code == 409
    assert "This application is rejected: it cannot be decided now." in str(again.json())
    assert Decision.objects.get().outcome == Decision.Outcome.REJECT
    assert not Allocation.objects.exists()


def test_it_rejects_with_reasons_and_no_allocation(
    client, ready, site_x, django_capture_on_commit_callbacks, mailoutbox, alice
):
    login(client, site_x.approver)

    with django_capture_on_commit_callbacks(execute=True):
        response = decide(client, ready, outcome="reject", gpu_hours=500, comment="Too early.")

    assert response.status_code == 201
    assert response.json()["gpu_hours"] is None
    assert response.json()["allocation"] is None
    ready.refresh_from_db()
    assert ready.status == ApplicationStatus.REJECTED
    assert not Allocation.objects.exists()
    assert ready.events.filter(kind=ApplicationEvent.Kind.REJECTED).count() == 1
    (mail,) = [m for m in mailoutbox if m.to == ["alice@example.org"]]
    assert "was not approved" in mail.body
    letter = login(client, alice).get(f"/applications/{ready.pk}/letter/").content.decode()
    assert "<strong>not been approved</strong>" in letter
    assert "Too early." in letter


def test_it_counts_capacity_per_calendar_year(client, routed, site_x, submit_application):
    set_capacity(site_x, 1000)
    review_all(routed)
    next_year = submit_application(
        title="Next year", start_date=date(routed.start_date.year + 1, 1, 15)
    )
    routing_services.application_route(application_id=next_year.pk)
    review_all(next_year)
    login(client, site_x.approver)

    first = decide(client, routed, outcome="approve", gpu_hours=1000, comment="Yes.")
    second = decide(client, next_year, outcome="approve", gpu_hours=1000, comment="Yes.")

    assert (first.status_code, second.status_code) == (201, 201)
    assert sorted(Allocation.objects.values_list("period_year", flat=True)) == [
        routed.start_date.year,
        routed.start_date.year + 1,
    ]
