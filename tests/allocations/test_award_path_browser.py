"""Issue 12's "Done when" path in a real browser (Debian's chromium): the approver approves,
the hand-off goes through the site export and the site confirms it, the site pushes usage, the
applicant gets the 75 % alert and sees it on the allocation's chart, asks for an extension,
the approver approves it, and the applicant hands in the final report."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect
from rest_framework.test import APIClient

from allocations.models import Allocation, Report
from tests.allocations.conftest import AWARD
from tests.fixtures.reviews import review_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(context: BrowserContext, base_url: str, user) -> None:
    """The browser takes the session of `user` signed in with the test client (as if they had
    passed the login form and, for approvers, the second factor)."""
    context.clear_cookies()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
    )


def site(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Site {key}")
    return client


def test_the_award_path_in_the_browser(
    live_server, page: Page, asked, alice, site_x, site_export, lumi_key, eager_retries
):
    base = live_server.url
    review_all(asked)
    sign_in(page.context, base, site_x.approver)
    page.goto(f"{base}/review/applications/{asked.pk}/")
    page.get_by_label("Approved", exact=True).check()
    page.get_by_label("GPU-hours awarded (when approving)").fill(str(AWARD))
    page.get_by_label("Reasons").fill("A sound plan.")
    page.get_by_role("button", name="Record the decision").click()
    allocation = Allocation.objects.get(application=asked)

    # The hand-off ran when the approval committed; the site reads its export and confirms.
    [handoff] = (
        site(lumi_key).get("/api/v1/site/handoffs/", {"status": "waiting"}).json()["results"]
    )
    response = site(lumi_key).post(
        f"/api/v1/site/handoffs/{handoff['id']}/confirm/", {}, format="json"
    )
    assert response.status_code == 200, response.json()

    mail.outbox.clear()
    for hours in ("11000", "1000"):  # 68.75 %, then 75 %
        day = allocation.start.isoformat() if hours == "11000" else allocation.end.isoformat()
        record = {"allocation": allocation.pk, "period_start": day, "period_end": day,
                  "gpu_hours": hours}  # fmt: skip
        response = site(lumi_key).post("/api/v1/site/usage/", {"records": [record]}, format="json")
        assert response.status_code == 201, response.json()
    alerts = [m for m in mail.outbox if "75 % of its GPU-hours used" in m.subject]
    assert [m.to for m in alerts] == [[alice.email]]
    link = re.search(r"https?://\S+(/applications/\d+/allocation/)", alerts[0].body)
    assert link is not None

    sign_in(page.context, base, alice)
    page.goto(base + link.group(1))
    expect(page.locator(".lead .badge")).to_have_text("Active")
    expect(page.locator("#usage-chart-caption")).to_contain_text("75 % of the GPU-hours used")
    expect(page.locator("figure svg rect.chart-status-operational")).not_to_have_count(0)
    page.get_by_label("What do you need?").select_option(label="Extension of the end date")
    new_end = allocation.end + datetime.timedelta(days=30)
    page.get_by_label("New end date (extension)").fill(new_end.isoformat())
    page.get_by_label("Reason", exact=True).fill("Two more training runs.")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Your request was sent to the site.")).to_be_visible()

    sign_in(page.context, base, site_x.approver)
    page.goto(base + link.group(1))
    page.get_by_label("Decision", exact=True).select_option("approve")
    page.get_by_label("Reasons").fill("Granted.")
    page.get_by_role("button", name="Decide").click()
    expect(page.get_by_text("The request is approved.")).to_be_visible()
    allocation.refresh_from_db()
    assert allocation.end == new_end

    sign_in(page.context, base, alice)
    page.goto(base + link.group(1))
    page.get_by_role("link", name="Final report").click()
    page.get_by_label("Report: what was done").fill("We trained the model; two papers.")
    page.get_by_role("button", name="Hand in the report").click()
    expect(page.get_by_text("Your final report is in.")).to_be_visible()
    final = Report.objects.get(allocation=allocation, kind=Report.Kind.FINAL)
    assert final.is_submitted and final.submitted_by == alice
