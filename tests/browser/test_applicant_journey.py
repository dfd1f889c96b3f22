"""A new applicant, from sign-up to a submitted application, in a real browser."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from applications import services as access_services
from applications.models import Application
from factories.models import System
from notifications.models import Notification
from notifications.services import notification_send
from organisations.models import Organisation
from reviews.models import SiteRole
from tests.model_factories import SiteRoleFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "nora@example.org"
PASSWORD = "correct-horse-battery-42"


def sign_up_and_verify(page: Page, base: str) -> None:
    page.goto(base + "/accounts/signup/")
    page.get_by_label("Given name").fill("Nora")
    page.get_by_label("Family name").fill("Neural")
    page.locator('input[name="email"]').fill(EMAIL)
    page.locator('input[name="password1"]').fill(PASSWORD)
    page.locator('input[name="password2"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify Your Email Address")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [EMAIL]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", message.body).group(0)
    page.goto(base + urlsplit(link).path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Email Address")
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(base + "/applications/")


def create_organisation(page: Page) -> None:
    page.get_by_role("link", name="describe your organisation").click()
    page.get_by_label("Legal name").fill("Nora Neural GmbH")
    page.get_by_label("Country").select_option(label="Germany")
    page.get_by_label("Type").select_option(label="Startup")
    page.get_by_label("VAT or company registration number").fill("DE136695976")
    page.get_by_label("I declare that this organisation is an SME").check()
    page.get_by_role("button", name="Save organisation").click()
    expect(page.get_by_text("Nora Neural GmbH was created; you represent it.")).to_be_visible()


def staff_lumi() -> None:
    """LUMI with a published capacity, a technical reviewer and an approver at its site."""
    lumi = System.objects.get(slug="lumi")
    System.objects.filter(pk=lumi.pk).update(allocatable_gpu_hours_per_year=1_000_000)
    for role in (SiteRole.Role.TECHNICAL, SiteRole.Role.APPROVER):
        SiteRoleFactory(user=UserFactory(), factory=lumi.factory, role=role)


def fill_the_steps(page: Page, start: str) -> None:
    next_step = page.get_by_role("button", name="Next")

    page.get_by_label("Organisation").select_option(label="Nora Neural GmbH")
    page.get_by_label("Fast Lane").check()
    next_step.click()

    expect(page.locator('[aria-current="step"]')).to_have_text("2. Project")
    page.get_by_label("Title").fill("Small vision model for quality control")
    page.get_by_label("Abstract").fill("We fine-tune a vision model on factory images.")
    page.get_by_label("AI domain").select_option(label="Manufacturing")
    page.get_by_label("Workload").select_option(label="Fine-tuning")
    page.get_by_label("Name (member 1)").fill("Nora Neural")
    page.get_by_label("Email (member 1)").fill(EMAIL)
    next_step.click()

    expect(page.locator('[aria-current="step"]')).to_have_text("3. Resources")
    page.get_by_label("LUMI (LUMI AIF, Kajaani) · Operational").check()
    page.get_by_label("GPU-hours").fill("1000")
    page.get_by_label("Start date").fill(start)
    page.get_by_label("Duration (months)").select_option(label="2 months")
    next_step.click()

    expect(page.locator('[aria-current="step"]')).to_have_text("4. Data & compliance")
    page.get_by_label("Data sources").fill("Our own labelled images")
    page.get_by_label("No", exact=True).check()
    page.get_by_label("EU AI Act risk (self-assessment)").select_option(label="Minimal risk")
    next_step.click()


def test_it_takes_a_new_applicant_from_sign_up_to_a_submitted_application(
    live_server, page: Page, monkeypatch
):
    call_command("load_reference_data", verbosity=0)
    staff_lumi()  # so that LUMI can take the application (applications.intake)
    # The applicant's view right after submitting, before a worker routes the application: the
    # hand-over to routing is recorded, not run (eager Celery would route it at once).
    routed: list[int] = []
    monkeypatch.setattr(access_services, "_enqueue_routing", routed.append)
    base = live_server.url
    start = timezone.localdate() + timedelta(days=5)

    sign_up_and_verify(page, base)
    create_organisation(page)
    page.get_by_role("button", name="New application").click()
    expect(page.locator('[aria-current="step"]')).to_have_text("1. Organisation")
    fill_the_steps(page, start.isoformat())

    expect(page.get_by_role("heading", name="Before you can submit")).to_have_count(0)
    page.get_by_role("button", name="Submit application").click()

    expect(page.get_by_text("Your application was submitted.")).to_be_visible()
    expect(page.locator(".lead .badge")).to_have_text("Submitted")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    timeline = page.locator("ol.timeline li")
    expect(timeline.first).to_contain_text("Draft created.")
    expect(timeline.last).to_contain_text("Application submitted.")
    application = Application.objects.get(applicant__email=EMAIL)
    expected = application.expected_decision_by
    expect(page.get_by_text("Decision expected by")).to_contain_text(
        f"{expected:%A} {expected.day} {expected:%B %Y}"
    )
    assert application.status == Application.Status.SUBMITTED
    assert routed == [application.pk]
    assert (application.access_mode.slug, application.system.slug) == ("fast-lane", "lumi")
    assert (application.gpu_hours, application.start_date, application.duration_months) == (
        1000,
        start,
        2,
    )
    # The receipt: addressed to her by name, with the reference and the expected decision date.
    # With a broker the email waits for a worker: send it as the worker would.
    notification = Notification.objects.get(key=f"receipt:{application.pk}")
    notification_send(notification_id=notification.pk)
    receipt = mail.outbox[-1]
    assert receipt.to == [EMAIL]
    assert f"Application #{application.pk} received" in receipt.subject
    assert "Hello Nora Neural," in receipt.body
    assert f"{expected.day} {expected:%B %Y}" in receipt.body
    organisation = Organisation.objects.get(legal_name="Nora Neural GmbH")
    assert organisation.sme_declared_on is not None
    assert organisation.memberships.get().role == "representative"
