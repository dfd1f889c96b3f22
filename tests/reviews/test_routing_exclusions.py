"""Reviewers the applicant asks to exclude (the call form): routing never assigns them, and its
record says they were excluded at the applicant's request; the applicant sees only what they
typed."""

from __future__ import annotations

import pytest

from applications import call_form_services
from applications import services as applications_services
from applications.models import ApplicationStatus
from reviews.routing import EXCLUDED_BY_APPLICANT, ApplicationFacts, Candidate, route
from reviews.services import routing as routing_services
from tests.helpers import application_values

FACTS = ApplicationFacts(
    application_id=1,
    factory_id=3,
    organisation_id=7,
    ai_domain="health",
    applicant_user_id=100,
    applicant_email="alice@alice-ai.de",
    needs={"technical": 1},
    applicant_excluded_emails=frozenset({"tess@csc.fi"}),
)


def test_it_never_chooses_a_reviewer_the_applicant_excluded():
    tess = Candidate(
        user_id=1, email="Tess@CSC.fi", kind="technical", expertise=frozenset({"health"})
    )
    theo = Candidate(user_id=2, email="theo@csc.fi", kind="technical", open_assignments=5)

    result = route(FACTS, [tess, theo])

    assert [c.user_id for c in result.chosen] == [2]
    assert [(e.user_id, e.reason) for e in result.exclusions] == [(1, EXCLUDED_BY_APPLICANT)]


def test_it_is_short_of_reviewers_rather_than_assign_an_excluded_one():
    tess = Candidate(user_id=1, email="tess@csc.fi", kind="technical")

    result = route(FACTS, [tess])

    assert not result.staffed
    assert result.chosen == []


@pytest.mark.django_db
def test_routing_honours_the_exclusion_and_records_it(
    client, alice, alice_org, modes, site_x, django_capture_on_commit_callbacks
):
    tess, theo = site_x.technical
    values = application_values(
        organisation=alice_org, access_mode=modes["fast-lane"], system=site_x.system
    )
    draft = applications_services.application_create(applicant=alice, **values)
    call_form_services.excluded_reviewers_set(
        application=draft,
        actor=alice,
        reviewers=[{"name": "Tess Technical", "email": "TESS@csc.fi", "reason": "A competitor"}],
    )
    applications_services.application_submit(application=draft, actor=alice)

    with django_capture_on_commit_callbacks(execute=True):
        record = routing_services.application_route(application_id=draft.pk)

    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.UNDER_REVIEW
    assert [a.reviewer for a in draft.assignments.all()] == [theo]
    assert {"user_id": tess.pk, "email": tess.email, "kind": "technical",
            "reason": EXCLUDED_BY_APPLICANT} in record.exclusions  # fmt: skip
    # The applicant sees what they typed, not the routing record.
    client.force_login(alice)
    body = client.get(f"/api/v1/applications/{draft.pk}/").json()
    assert body["excluded_reviewers"] == [
        {"name": "Tess Technical", "email": "tess@csc.fi", "reason": "A competitor"}
    ]
    assert EXCLUDED_BY_APPLICANT not in str(body)
    html = client.get(f"/applications/{draft.pk}/").content.decode()
    assert EXCLUDED_BY_APPLICANT not in html
