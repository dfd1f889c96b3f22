"""A founder finds a factory, applies with the finder's choice, is stranded there (no reviewer
at LUMI can take it) and accepts the alternative offered: the application is reviewed there."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from applications.models import Application, ApplicationStatus
from factories.models import System
from reviews.models import Assignment, SiteRole
from reviews.services import assignments as assignment_services
from tests.browser.pages import sign_in
from tests.fixtures.reviews import CAPACITY, REVIEW_VALUES
from tests.helpers import application_values

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_founder_finds_applies_is_stranded_and_moves_to_the_alternative(
    live_server, page: Page, alice, alice_org, modes, site_x, site_y, celery_eager
):
    leonardo = site_y.system
    System.objects.filter(pk=leonardo.pk).update(allocatable_gpu_hours_per_year=CAPACITY)
    for slug in ("playground", "fast-lane"):
        modes[slug].systems.add(leonardo)
    base = live_server.url
    sign_in(page.context, base, alice)

    # The finder: a startup needing 1,000 GPU-hours on an MI250X.
    page.goto(base + "/")
    page.get_by_role("link", name="Find a factory", exact=True).click()
    page.get_by_label("Organisation type").select_option(label="Startup")
    page.get_by_label("GPU-hours").fill("1000")
    page.get_by_label("Preferred accelerator").fill("MI250X")
    page.get_by_role("button", name="Find systems").click()
    lumi_row = page.locator('#finder-results [data-system="lumi"]')
    expect(lumi_row).to_contain_text("can take your application now")
    expect(lumi_row).to_contain_text("not yet published")

    # LUMI's reviewers turn out to be full: routing will not find one (the intake rule, which
    # counts active reviewers, still lets LUMI take the application).
    SiteRole.objects.filter(factory=site_x.factory).update(max_open_assignments=0)
    apply = lumi_row.get_by_role("link", name=re.compile("Apply with this"))
    mode = re.search(r"mode=([\w-]+)", apply.get_attribute("href") or "")[1]
    apply.click()
    page.get_by_role("button", name="Start the application").click()

    application = Application.objects.get(applicant=alice)
    assert (application.system.slug, application.access_mode.slug) == ("lumi", mode)
    # The rest of the form, as the applicant would fill it, is tested in its own journey: here
    # the draft is completed and submitted from its review step.
    values = application_values(
        organisation=alice_org, access_mode=modes[mode], system=site_x.system
    )
    Application.objects.filter(pk=application.pk).update(**values)
    page.goto(f"{base}/applications/{application.pk}/edit/review/")
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_text("Your application was submitted.")).to_be_visible()

    # Routing ran (eager Celery): nobody at LUMI could take it.
    page.reload()
    offer = page.locator("#rerouting")
    expect(offer).to_contain_text("cannot staff the review of your application")
    expect(offer.locator('[data-system="leonardo"]')).to_be_visible()
    offer.get_by_role("button", name=re.compile("Move it to Leonardo")).click()

    expect(page.get_by_text(re.compile("Moved to Leonardo"))).to_be_visible()
    expect(page.locator(".lead .badge")).to_have_text("Under review")
    application.refresh_from_db()
    assert application.system == leonardo
    assert application.status == ApplicationStatus.UNDER_REVIEW

    # Reviewed at the new site.
    assignment = Assignment.objects.get(application=application, status=Assignment.Status.PENDING)
    assert assignment.reviewer == site_y.technical[0]
    assignment_services.review_record(
        assignment=assignment, reviewer=assignment.reviewer, **REVIEW_VALUES
    )
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.DONE
