"""An applicant whose browser asks for German goes through the portal in German: signs in, fills
the five steps and submits, gets the receipt in German, then the award: the decision email and the
PDF letter in German, GPU-hours grouped the German way.

The texts are looked up in the German catalogue (`de`), so the test follows the translators'
wording; it checks that each is a translation, not the English text left in place."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.text import capfirst
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from applications.models import Application
from notifications.models import Notification, NotificationPreference
from notifications.services import notification_send
from reviews.models import Assignment
from reviews.services import decisions as decision_services
from reviews.services import routing as routing_services
from tests.fixtures.reviews import REVIEW_VALUES
from tests.fixtures.reviews import review as record_review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-42"


def de(text: str, context: str | None = None) -> str:
    """`text` in the German catalogue; fails when it is not translated."""
    with translation.override("de"):
        german = translation.pgettext(context, text) if context else translation.gettext(text)
    assert german != text or text in {"Fast Lane", "LUMI"}, f"not translated into German: {text!r}"
    return german


def label(text: str) -> re.Pattern[str]:
    """A form label as Django writes it: the field's verbose name, capitalised, or the label."""
    with translation.override("de"):
        variants = {translation.gettext(text), capfirst(translation.gettext(text.lower()))}
    return re.compile("|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True)))


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form[action$="/accounts/login/"] button[type="submit"]').click()
    expect(page).to_have_url(base + "/applications/")


def fill_the_steps(page: Page, organisation: str, start: str) -> None:
    next_step = page.get_by_role("button", name=de("Next"))
    page.get_by_label(label("Organisation")).select_option(label=organisation)
    page.get_by_label("Fast Lane").check()
    next_step.click()

    page.get_by_label(label("Title"), exact=False).first.fill(
        "Bildmodell für die Qualitätskontrolle"
    )
    page.get_by_label(label("Abstract")).fill("Wir passen ein Bildmodell an Fabrikbilder an.")
    page.get_by_label(label("AI domain")).select_option(label=de("Manufacturing"))
    page.get_by_label(label("Workload")).select_option(label=de("Fine-tuning"))
    next_step.click()

    page.get_by_label(re.compile(r"^LUMI \(")).check()
    page.get_by_label(label("GPU-hours"), exact=True).fill("1000")
    page.get_by_label(label("Start date")).fill(start)
    page.get_by_label(label("Duration (months)")).select_option(index=2)
    next_step.click()

    page.get_by_label(label("Data sources")).fill("Unsere eigenen Bilder")
    page.get_by_label(de("No"), exact=True).check()
    page.get_by_label(label("EU AI Act risk (self-assessment)")).select_option(
        label=de("Minimal risk")
    )
    next_step.click()


def test_an_applicant_goes_through_the_portal_in_german(
    live_server, browser: Browser, alice, alice_org, modes, site_x, celery_eager
):
    alice.set_password(PASSWORD)
    alice.save()
    base = live_server.url
    context = browser.new_context(locale="de-DE")  # Accept-Language: de-DE
    page = context.new_page()
    start = timezone.localdate() + timedelta(days=5)

    page.goto(base + "/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("link", name=de("Find a factory"), exact=True).first).to_be_visible()

    sign_in(page, base, alice.email)
    expect(page.get_by_role("heading", level=1)).to_have_text(de("My applications"))
    # Signed in with a German browser and no choice of their own: German is kept for the emails.
    assert NotificationPreference.objects.get(user=alice).language == "de"

    page.get_by_role("button", name=de("New application")).click()
    fill_the_steps(page, alice_org.legal_name, start.isoformat())
    page.get_by_role("button", name=de("Submit application")).click()
    expect(page.get_by_text(de("Your application was submitted."))).to_be_visible()

    application = Application.objects.get(applicant=alice)
    assert (application.gpu_hours, application.system.slug) == (1000, "lumi")
    receipt_notification = Notification.objects.get(key=f"receipt:{application.pk}")
    notification_send(notification_id=receipt_notification.pk)
    receipt = mail.outbox[-1]
    assert receipt.to == [alice.email]
    with translation.override("de"):
        greeting = translation.gettext("Hello %(name)s,") % {"name": alice.get_full_name()}
    assert greeting != f"Hello {alice.get_full_name()},"
    assert greeting in receipt.body

    # The site reviews it and awards 1,000 GPU-hours.
    routing_services.application_route(application_id=application.pk)
    for assignment in Assignment.objects.filter(application=application).select_related("reviewer"):
        record_review(assignment, **REVIEW_VALUES)
    decision_services.application_decide(
        application=application,
        approver=site_x.approver,
        outcome="approve",
        gpu_hours=1000,
        comment="Well prepared.",
    )
    decision_mail = next(m for m in reversed(mail.outbox) if m.to == [alice.email])
    assert greeting in decision_mail.body
    assert "1.000" in decision_mail.body

    page.goto(f"{base}/applications/{application.pk}/")
    expect(page.locator(".lead .badge")).to_have_text(de("Approved"))
    # The letter as the browser downloads it (with the browser's session).
    letter = context.request.get(f"{base}/applications/{application.pk}/allocation/letter.pdf")
    assert letter.ok and letter.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(letter.body())).pages)
    assert de("GPU-hours") in text
    assert "1.000" in text
    context.close()
