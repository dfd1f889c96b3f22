"""The decision letter: a PDF with the reference, the names, the award, the conditions, the
approver and the date; the same text in the decision email; for the holders only; WeasyPrint
fetches nothing but the portal's static files."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from pypdf import PdfReader

from allocations.letter_pdf import LETTER_BASE_URL, StaticFilesOnly
from allocations.letters import letter_for, letter_html
from notifications.models import Notification, NotificationPreference
from notifications.services import notification_build
from organisations import services as organisations_services
from organisations.models import Membership
from tests.fixtures.reviews import login, person

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def pdf_text(response) -> str:
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF-")
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_applicant_downloads_the_letter_as_a_pdf(client, awarded, alice, site_x):
    response = login(client, alice).get(
        reverse("allocations:letter", args=[awarded.application_id])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{awarded.reference}.pdf"' in response["Content-Disposition"]
    text = " ".join(pdf_text(response).replace("-\n", "-").split())
    for expected in (
        awarded.reference,
        "Alice Applicant",
        "Alice AI GmbH",
        awarded.application.title,
        "LUMI",
        "16,000",
        f"{awarded.start:%-d %B %Y} to {awarded.end:%-d %B %Y}",
        "Hand in a final report within 30 days",
        "Paula Approver",
        f"Site approver, {site_x.factory.display_name}",
    ):
        assert expected in text, expected
    assert "alice@example.org" not in text  # addressed to a name, not an email address


def test_a_representative_of_the_organisation_downloads_it_too(client, awarded, alice, alice_org):
    rita = person("rita@example.org", "Rita Representative")
    organisations_services.organisation_member_add(
        actor=alice, organisation=alice_org, user=rita, role=Membership.Role.REPRESENTATIVE
    )
    response = login(client, rita).get(reverse("allocations:letter", args=[awarded.application_id]))
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["bob", "member", "approver", "reviewer", "staff"])
def test_nobody_else_gets_the_letter(client, awarded, alice, alice_org, bob, site_x, staff, who):
    if who == "member":
        user = person("carol@example.org", "Carol Member")
        organisations_services.organisation_member_add(
            actor=alice, organisation=alice_org, user=user, role=Membership.Role.MEMBER
        )
    else:
        user = {
            "bob": bob,
            "approver": site_x.approver,
            "reviewer": site_x.technical[0],
            "staff": staff,
        }[who]
    response = login(client, user).get(reverse("allocations:letter", args=[awarded.application_id]))
    assert response.status_code == 404


def test_the_decision_email_carries_the_letters_text(awarded):
    notification = Notification.objects.get(key=f"decision:{awarded.application_id}")
    for text in (notification.body, notification.html_body):
        assert awarded.reference in text
        assert "Paula Approver" in text
        assert "Hand in a final report within 30 days" in text
        assert reverse("allocations:letter", args=[awarded.application_id]) in text
    assert "<" not in notification.body.replace("<http", "")  # plain text, no tags
    assert notification.subject.endswith(awarded.application.title)


def test_weasyprint_fetches_nothing_but_the_portals_static_files():
    fetcher = StaticFilesOnly()
    response = fetcher.fetch(LETTER_BASE_URL + "static/css/letter.css")
    assert b"@page" in response._file_obj.read()
    for url in (
        "http://127.0.0.1:8000/admin/",
        "https://example.org/static/css/letter.css",
        "file:///etc/passwd",
        LETTER_BASE_URL + "static/../portal/settings.py",
        LETTER_BASE_URL + "media/attachments/secret.pdf",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 5


def test_the_approvers_own_conditions_reach_the_page_and_the_letter(client, asked, alice, site_x):
    from tests.fixtures.reviews import review_all

    review_all(asked)
    login(client, site_x.approver)
    client.post(
        reverse("review:site-application", args=[asked.pk]),
        {"outcome": "approve", "gpu_hours": "16000", "comment": "Good.",
         "conditions": "Publish the model weights openly.\nCite the LUMI AIF."},
    )  # fmt: skip
    assert asked.allocation.conditions == "Publish the model weights openly.\nCite the LUMI AIF."
    page = client.get(reverse("allocations:detail", args=[asked.pk])).content.decode()
    assert "<li>Publish the model weights openly.</li>" in page
    response = login(client, alice).get(reverse("allocations:letter", args=[asked.pk]))
    assert "Publish the model weights openly." in pdf_text(response)


def test_importing_the_decision_service_does_not_import_weasyprint():
    """WeasyPrint parses its CSS when imported: only rendering a PDF may import it, not the
    decision service every process loads."""
    code = (
        "import sys, django; django.setup(); import reviews.services.decisions, allocations.views; "
        "print('weasyprint' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "False", result.stderr


def test_the_letter_is_written_in_the_applicants_language(awarded, alice):
    NotificationPreference.objects.update_or_create(user=alice, defaults={"language": "de"})
    html = letter_html(awarded)
    assert '<html lang="de">' in html
    assert "16.000" in html  # German grouping of the GPU-hours
    with translation.override("de"):
        assert date_format(awarded.end, "F") in html  # the month's German name
    assert letter_html(awarded, language="en").startswith('<!DOCTYPE html>\n<html lang="en">')
    assert "16,000" in letter_html(awarded, language="en")


def test_the_letter_pdf_follows_the_applicants_language(client, awarded, alice):
    NotificationPreference.objects.update_or_create(user=alice, defaults={"language": "de"})
    response = login(client, alice).get(
        reverse("allocations:letter", args=[awarded.application_id])
    )
    assert "16.000" in pdf_text(response)


def test_the_letter_under_a_german_override_formats_for_german(awarded):
    with translation.override("de"):
        html = render_to_string("allocations/letter/pdf.html", {"letter": letter_for(awarded)})
    assert 'lang="de"' in html
    assert "16.000" in html
    assert "16,000" not in html


def test_the_decision_email_in_german_formats_the_award_for_german(awarded, alice):
    """The email is built in the applicant's language: the letter's numbers and dates in it
    are formatted for German (the words follow once the German catalogue is in)."""
    NotificationPreference.objects.update_or_create(user=alice, defaults={"language": "de"})
    application = awarded.application
    email = notification_build(
        key=f"decision:{application.pk}:de",
        recipient=alice.email,
        recipient_name="Alice Applicant",
        template="decision",
        context={
            "application": application,
            "decision": application.decision,
            "allocation": awarded,
            "letter": letter_for(awarded),
        },
    )
    with translation.override("de"):
        month = date_format(awarded.end, "F")
    for text in (email.body, email.html_body):
        assert "16.000" in text
        assert "16,000" not in text
        assert month in text
    assert '<html lang="de">' in email.html_body
