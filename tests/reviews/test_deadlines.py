"""Reminders one working day before a review is due, escalations once a decision is overdue:
each sent once, however often the hourly check runs; the reviewer's due date before the decision
date, in the working days of the factory's country."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from portal.workdays import add_working_days
from reviews import tasks
from reviews.models import Assignment
from reviews.services import deadlines as deadline_services
from reviews.services import decisions as decision_services
from reviews.services import routing as routing_services
from tests.fixtures.reviews import review_all

pytestmark = pytest.mark.django_db


def check(today: date, capture) -> dict[str, int]:
    with capture(execute=True):
        return deadline_services.deadlines_check(today=today)


def set_due(application, due_by: date) -> None:
    Assignment.objects.filter(application=application).update(due_by=due_by)


def mails(outbox, word: str) -> list[str]:
    return sorted(m.to[0] for m in outbox if word in m.subject)


MONDAY = date(2030, 1, 7)


@pytest.mark.parametrize(
    ("today", "due_by", "reminded"),
    [
        pytest.param(MONDAY, MONDAY + timedelta(days=1), True, id="due tomorrow"),
        pytest.param(MONDAY, MONDAY, True, id="due today"),
        pytest.param(MONDAY, MONDAY - timedelta(days=3), True, id="already late"),
        pytest.param(MONDAY, MONDAY + timedelta(days=2), False, id="due in two working days"),
        pytest.param(
            MONDAY + timedelta(days=4), MONDAY + timedelta(days=7), True, id="Friday, due Monday"
        ),
        pytest.param(
            MONDAY + timedelta(days=4), MONDAY + timedelta(days=8), False, id="Friday, due Tuesday"
        ),
    ],
)
def test_it_reminds_a_reviewer_one_working_day_before_the_due_date(
    routed, today, due_by, reminded, django_capture_on_commit_callbacks, mailoutbox
):
    set_due(routed, due_by)
    # Keep the application itself out of escalation: only the reminder is under test.
    type(routed).objects.filter(pk=routed.pk).update(expected_decision_by=today + timedelta(30))

    result = check(today, django_capture_on_commit_callbacks)

    assert result == {"reminders": int(reminded), "escalations": 0}
    assert mails(mailoutbox, "Reminder") == (["tess@csc.fi"] if reminded else [])
    assignment = routed.assignments.get()
    assert (assignment.reminder_sent_at is not None) is reminded


# Finland 2030: Independence Day is Friday 6 December; in Italy it is a working day.
THURSDAY_BEFORE_INDEPENDENCE_DAY = date(2030, 12, 5)
MONDAY_AFTER = date(2030, 12, 9)


def test_the_working_day_before_a_due_date_skips_the_sites_public_holidays(
    routed, submit_application, site_y, django_capture_on_commit_callbacks, mailoutbox
):
    italian = submit_application(system=site_y.system)
    routing_services.application_route(application_id=italian.pk)
    for application in (routed, italian):
        set_due(application, MONDAY_AFTER)
    type(routed).objects.update(expected_decision_by=MONDAY_AFTER + timedelta(30))

    result = check(THURSDAY_BEFORE_INDEPENDENCE_DAY, django_capture_on_commit_callbacks)

    # At LUMI the working day after Thursday is Monday: remind. At IT4LIA it is Friday: not yet.
    assert result == {"reminders": 1, "escalations": 0}
    assert mails(mailoutbox, "Reminder") == ["tess@csc.fi"]
    assert italian.assignments.get().reminder_sent_at is None


def test_it_reminds_once_however_often_it_runs(
    routed, django_capture_on_commit_callbacks, mailoutbox
):
    assignment = routed.assignments.get()
    today = assignment.due_by - timedelta(days=1)
    while add_working_days(today, 1, country="FI") < assignment.due_by:  # the working day before
        today += timedelta(days=1)

    first = check(today, django_capture_on_commit_callbacks)
    second = check(today, django_capture_on_commit_callbacks)
    third = check(today + timedelta(days=1), django_capture_on_commit_callbacks)

    assert [first["reminders"], second["reminders"], third["reminders"]] == [1, 0, 0]
    assert mails(mailoutbox, "Reminder") == ["tess@csc.fi"]
    assert Notification.objects.filter(key=f"reminder:{assignment.pk}").count() == 1


def test_it_reminds_nobody_of_a_finished_review(
    routed, django_capture_on_commit_callbacks, mailoutbox
):
    review_all(routed)
    due = routed.assignments.get().due_by

    result = check(due, django_capture_on_commit_callbacks)

    assert result["reminders"] == 0
    assert mails(mailoutbox, "Reminder") == []


def test_it_escalates_an_overdue_application_once_to_approvers_and_admins(
    routed, site_x, site_y, admin_user, django_capture_on_commit_callbacks, mailoutbox
):
    late = routed.expected_decision_by + timedelta(days=1)

    first = check(late, django_capture_on_commit_callbacks)
    second = check(late, django_capture_on_commit_callbacks)
    later = check(late + timedelta(days=7), django_capture_on_commit_callbacks)

    assert first == {"reminders": 1, "escalations": 2}
    assert second == later == {"reminders": 0, "escalations": 0}
    # LUMI's approver and the admin; never IT4LIA's approver.
    assert mails(mailoutbox, "Overdue") == ["admin@example.org", "paula@csc.fi"]
    assert mails(mailoutbox, "Reminder") == ["tess@csc.fi"]
    overdue = {m.to[0]: m.body for m in mailoutbox if "Overdue" in m.subject}
    # Each to a page they can open: the approver to the site's page, the admin to the admin.
    assert f"/review/applications/{routed.pk}/" in overdue["paula@csc.fi"]
    assert "/admin/" not in overdue["paula@csc.fi"]
    assert f"/admin/applications/application/{routed.pk}/change/" in overdue["admin@example.org"]
    assert Notification.objects.filter(key__startswith=f"overdue:{routed.pk}:").count() == 2


def test_it_does_not_escalate_on_the_due_date_or_after_a_decision(
    routed, site_x, admin_user, django_capture_on_commit_callbacks, mailoutbox
):
    on_time = check(routed.expected_decision_by, django_capture_on_commit_callbacks)
    review_all(routed)
    decision_services.application_decide(
        application=routed, approver=site_x.approver, outcome="reject", gpu_hours=None,
        comment="No.",
    )  # fmt: skip
    decided = check(
        routed.expected_decision_by + timedelta(days=3), django_capture_on_commit_callbacks
    )

    assert on_time["escalations"] == decided["escalations"] == 0
    assert mails(mailoutbox, "Overdue") == []


def test_the_hourly_task_runs_the_check(routed, mailoutbox):
    assert tasks.check_deadlines.delay().get() == {"reminders": 0, "escalations": 0}


# --- The reviewer's due date ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "decision", "country", "due"),
    [
        pytest.param(MONDAY, date(2030, 1, 16), "FI", date(2030, 1, 14), id="Wednesday → Monday"),
        pytest.param(MONDAY, date(2030, 1, 14), "FI", date(2030, 1, 10), id="over the weekend"),
        pytest.param(
            MONDAY, date(2030, 12, 10), "FI", THURSDAY_BEFORE_INDEPENDENCE_DAY,
            id="over Independence Day",
        ),
        pytest.param(MONDAY, date(2030, 12, 10), "IT", date(2030, 12, 6), id="not in Italy"),
        pytest.param(MONDAY, MONDAY + timedelta(days=2), "FI", MONDAY + timedelta(days=1),
                     id="never before the next working day"),
        pytest.param(MONDAY, MONDAY - timedelta(days=3), "FI", MONDAY + timedelta(days=1),
                     id="an overdue decision: tomorrow"),
        pytest.param(MONDAY, None, "FI", MONDAY + timedelta(days=7), id="no decision date"),
        pytest.param(THURSDAY_BEFORE_INDEPENDENCE_DAY, None, "FI", date(2030, 12, 13),
                     id="no decision date, five Finnish working days"),
    ],
)  # fmt: skip
def test_a_reviewer_is_due_two_working_days_before_the_decision(today, decision, country, due):
    assert deadline_services.review_due_by(
        expected_decision_by=decision, today=today, country=country
    ) == due  # fmt: skip


def test_the_approvers_working_days_are_a_setting(settings):
    settings.REVIEW_DUE_WORKING_DAYS_BEFORE_DECISION = 4

    due = deadline_services.review_due_by(
        expected_decision_by=date(2030, 1, 18), today=MONDAY, country="FI"
    )

    assert due == date(2030, 1, 14)


def test_routing_gives_the_reviewer_the_due_date_before_the_decision(routed):
    assignment = routed.assignments.get()

    assert routed.expected_decision_by == add_working_days(
        timezone.localdate(routed.submitted_at), 4, country="FI"
    )  # Fast Lane: four working days
    assert assignment.due_by == add_working_days(routed.expected_decision_by, -2, country="FI")
    assert timezone.localdate() < assignment.due_by < routed.expected_decision_by
