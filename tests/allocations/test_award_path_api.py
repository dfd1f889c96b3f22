"""Issue 12's "Done when" path over the API: the approval, the hand-off through the site
export, usage pushed by the site, the 75 % alert email, an extension asked and approved, and
the final report handed in."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from rest_framework.test import APIClient

from allocations.models import Allocation, Report
from tests.allocations.conftest import AWARD
from tests.fixtures.reviews import review_all

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def site(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Site {key}")
    return client


def test_the_award_path_over_the_api(
    asked, alice, site_x, site_export, lumi_key, eager_retries, django_capture_on_commit_callbacks
):
    review_all(asked)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(site_x.approver).post(
            f"/api/v1/applications/{asked.pk}/decision/",
            {"outcome": "approve", "gpu_hours": AWARD, "comment": "A sound plan."},
            format="json",
        )
    assert response.status_code in (200, 201), response.json()
    allocation = Allocation.objects.get(application=asked)
    base = f"/api/v1/applications/{asked.pk}/allocation/"

    # The hand-off ran on commit (eager): the site reads its export and confirms it.
    waiting = site(lumi_key).get("/api/v1/site/handoffs/", {"status": "waiting"}).json()
    [handoff] = waiting["results"]
    confirmed = site(lumi_key).post(
        f"/api/v1/site/handoffs/{handoff['id']}/confirm/", {}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.json()
    assert api(alice).get(base).json()["status"] == "active"

    # The site pushes usage: 12,000 of 16,000 GPU-hours is 75 %, and the alert goes, once.
    mail.outbox.clear()
    for hours, later in (("11000", 0), ("1000", 1), ("100", 2)):
        period = (allocation.start + datetime.timedelta(days=later)).isoformat()
        with django_capture_on_commit_callbacks(execute=True):
            pushed = site(lumi_key).post(
                "/api/v1/site/usage/",
                {"records": [{"allocation": allocation.pk, "period_start": period,
                              "period_end": period, "gpu_hours": hours}]},
                format="json",
            )  # fmt: skip
        assert pushed.status_code == 201, pushed.json()
    assert [m.subject for m in mail.outbox] == [
        f"[AI Factory portal] Allocation {allocation.reference}: 75 % of its GPU-hours used"
    ]
    assert mail.outbox[0].to == [alice.email]
    usage = api(alice).get(f"{base}usage/").json()
    assert usage["used_percent"] == 76 and usage["months"][0]["cumulative_gpu_hours"] == "12100.00"

    # An extension, asked and approved.
    new_end = allocation.end + datetime.timedelta(days=30)
    asked_change = api(alice).post(
        f"{base}change-requests/",
        {"kind": "extension", "new_end": new_end.isoformat(), "reason": "More runs."},
        format="json",
    )
    assert asked_change.status_code == 201, asked_change.json()
    decided = api(site_x.approver).post(
        f"{base}change-requests/{asked_change.json()['id']}/decide/",
        {"outcome": "approve", "comment": "Granted."},
        format="json",
    )
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    assert api(alice).get(base).json()["end"] == new_end.isoformat()

    # The final report, handed in once.
    final = Report.objects.get(allocation=allocation, kind=Report.Kind.FINAL)
    url = f"{base}reports/{final.pk}/"
    assert api(site_x.approver).post(url, {"text": "Done."}, format="json").status_code == 404
    assert api(alice).post(url, {}, format="json").status_code == 400
    handed = api(alice).post(url, {"text": "We trained the model."}, format="json")
    assert handed.status_code == 200 and handed.json()["submitted_at"]
    assert api(alice).post(url, {"text": "Again."}, format="json").status_code == 409
