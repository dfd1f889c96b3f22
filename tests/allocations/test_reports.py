"""Reports: handed in by the holders, reminded before the due date and escalated after it by
the periodic job (once each), listed for the site while missing; an overdue final report
blocks the organisation's new applications to that site until it is in or staff lift it."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from allocations.models import Report, ReportBlockOverride
from allocations.services import reports
from allocations.tasks import check_allocations
from applications.models import ApplicationEvent
from notifications.models import Notification
from tests.allocations.conftest import ASKED
from tests.fixtures.reviews import login

pytestmark = pytest.mark.django_db


def final(allocation) -> Report:
    return allocation.reports.get(kind=Report.Kind.FINAL)


def overdue(allocation) -> Report:
    report = final(allocation)
    Report.objects.filter(pk=report.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    report.refresh_from_db()
    return report


def test_the_applicant_hands_in_the_final_report(client, awarded, alice):
    report = final(awarded)
    url = reverse("allocations:report", args=[awarded.application_id, report.pk])
    login(client, alice)
    response = client.post(
        url, {"text": "We trained the model; results in the paper."}, follow=True
    )
    assert "Your final report is in." in response.content.decode()
    report.refresh_from_db()
    assert report.is_submitted and report.submitted_by == alice
    assert ApplicationEvent.objects.filter(
        application=awarded.application, kind=ApplicationEvent.Kind.REPORT
    ).exists()
    response = client.post(url, {"text": "Again"}, follow=True)
    assert "handed in already" in response.content.decode()


def test_an_empty_report_is_refused(client, awarded, alice):
    report = final(awarded)
    url = reverse("allocations:report", args=[awarded.application_id, report.pk])
    response = login(client, alice).post(url, {"text": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    with pytest.raises(ValidationError):
        reports.report_submit(report, user=alice, text="   ")
    report.refresh_from_db()
    assert not report.is_submitted


def test_only_the_holders_hand_it_in(client, awarded, bob, site_x):
    report = final(awarded)
    url = reverse("allocations:report", args=[awarded.application_id, report.pk])
    assert login(client, site_x.approver).get(url).status_code == 200  # the site reads it
    assert login(client, site_x.approver).post(url, {"text": "By the site"}).status_code == 404
    assert login(client, bob).post(url, {"text": "By Bob"}).status_code == 404
    with pytest.raises(Report.DoesNotExist):
        reports.report_submit(report, user=bob, text="By Bob")
    report.refresh_from_db()
    assert not report.is_submitted


def test_the_job_reminds_once_before_the_due_date(awarded):
    report = final(awarded)
    soon = report.due_on - datetime.timedelta(days=3)
    assert reports.reports_check(today=soon) == {"reminded": 1, "escalated": 0}
    assert reports.reports_check(today=soon) == {"reminded": 0, "escalated": 0}
    reminder = Notification.objects.get(key__startswith=f"report-reminder:{report.pk}:")
    assert reminder.recipient == "alice@example.org"
    assert f"due by {report.due_on:%-d %B %Y}" in reminder.body


def test_the_job_escalates_once_after_the_due_date(awarded, site_x):
    report = final(awarded)
    late = report.due_on + datetime.timedelta(days=1)
    assert reports.reports_check(today=late)["escalated"] == 1
    assert reports.reports_check(today=late)["escalated"] == 0
    sent = Notification.objects.filter(key__contains=f"overdue:{report.pk}:")
    assert sorted(sent.values_list("recipient", flat=True)) == sorted(
        ["alice@example.org", site_x.approver.email]
    )
    event = ApplicationEvent.objects.get(
        application=awarded.application, kind=ApplicationEvent.Kind.REPORT
    )
    assert event.message.startswith("Final report overdue")


def test_the_periodic_job_is_registered_and_runs(settings, awarded):
    jobs = {job["task"] for job in settings.PORTAL_PERIODIC_TASKS.values()}
    assert "allocations.tasks.check_allocations" in jobs
    assert check_allocations.delay().get() == {
        "ended": 0,
        "reminded": 0,
        "escalated": 0,
        "usage_alerts": 0,
        "underuse_nudges": 0,
    }


def test_the_site_sees_the_missing_reports(client, awarded, site_x, site_y):
    overdue(awarded)
    response = login(client, site_x.approver).get(reverse("allocations:reports"))
    body = response.content.decode()
    assert awarded.reference in body and "Overdue" in body and "Alice AI GmbH" in body
    body = login(client, site_y.approver).get(reverse("allocations:reports")).content.decode()
    assert awarded.reference not in body


def test_an_overdue_final_report_blocks_a_new_application_to_that_site(awarded, submit_application):
    overdue(awarded)
    with pytest.raises(ValidationError) as error:
        submit_application(gpu_hours=ASKED)
    assert f"The final report of {awarded.reference}" in " ".join(error.value.messages)


def test_staff_lift_the_block_with_a_reason(client, awarded, submit_application, staff, site_x):
    overdue(awarded)
    login(client, staff)
    url = reverse("allocations:reports")
    refused = client.post(url, {"organisation": awarded.application.organisation_id,
                                "factory": site_x.factory.pk, "reason": ""})  # fmt: skip
    assert refused.status_code == 400 and not ReportBlockOverride.objects.exists()
    response = client.post(
        url,
        {"organisation": awarded.application.organisation_id, "factory": site_x.factory.pk,
         "reason": "The report was sent by post."},
        follow=True,
    )  # fmt: skip
    assert "The block is lifted" in response.content.decode()
    assert submit_application(gpu_hours=ASKED).status == "submitted"


def test_an_approver_cannot_lift_the_block(client, awarded, site_x):
    overdue(awarded)
    response = login(client, site_x.approver).post(
        reverse("allocations:reports"),
        {"organisation": awarded.application.organisation_id, "factory": site_x.factory.pk,
         "reason": "Please"},
    )  # fmt: skip
    assert response.status_code == 403
    assert not ReportBlockOverride.objects.exists()
