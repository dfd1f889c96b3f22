"""Letters, emails and staff pages name people (their full name; the address only for an
account made before names were asked for)."""

from __future__ import annotations

import pytest

from accounts.models import User
from reviews.services import decisions as review_services
from tests.fixtures.reviews import login, review_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(routed, site_x, django_capture_on_commit_callbacks):
    review_all(routed)
    with django_capture_on_commit_callbacks(execute=True):
        review_services.application_decide(
            application=routed, approver=site_x.approver, outcome="approve", gpu_hours=800,
            comment="A sound plan.",
        )  # fmt: skip
    return routed


def test_the_decision_letter_is_addressed_to_the_applicants_name(client, decided, alice):
    letter = login(client, alice).get(f"/applications/{decided.pk}/letter/")

    assert letter.status_code == 200
    page = letter.content.decode()
    text = page[page.index("<article") : page.index("</article>")]
    assert "To: Alice Applicant, Alice AI GmbH (Germany)" in text
    assert "Dear Alice Applicant," in text
    assert "alice@example.org" not in text  # the letter (the navigation shows who signed in)


def test_the_decision_letter_falls_back_to_the_address_of_an_account_without_a_name(
    client, decided, alice
):
    User.objects.filter(pk=alice.pk).update(first_name="", last_name="")

    text = login(client, alice).get(f"/applications/{decided.pk}/letter/").content.decode()

    assert "To: alice@example.org, Alice AI GmbH" in text
    assert "Dear alice@example.org," in text


def test_the_decision_email_greets_the_applicant_by_name(decided, mailoutbox):
    (message,) = [m for m in mailoutbox if "Decision on your application" in m.subject]

    assert message.body.startswith("Hello Alice Applicant,\n")
    assert "<p>Hello Alice Applicant,</p>" in message.alternatives[0][0]


def test_the_site_page_names_the_reviewers_to_the_approver(client, decided, site_x):
    text = login(client, site_x.approver).get(f"/review/applications/{decided.pk}/")

    assert "Tess Technical (tess@csc.fi)" in text.content.decode()


def test_the_assignment_email_greets_the_reviewer_by_name(routed):
    from notifications.models import Notification

    notification = Notification.objects.get(key__startswith="assigned:")
    assert notification.body.startswith("Hello Tess Technical,\n")
