"""Emails are stored once (unique key) and sent once (`sent_at`), whatever retries and sweeps
do; the sweep re-enqueues what a lost message left behind."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from django.core import mail

from access_requests import review_services, tasks
from access_requests.models import ApplicationStatus, Notification

from .review_fixtures import *  # noqa: F403
from .review_fixtures import broker_unreachable

pytestmark = pytest.mark.django_db


def queue(application, key: str = "assigned:1", recipient: str = "tess@csc.fi") -> Notification:
    assignment = application.assignments.first()
    return review_services.notification_queue(
        key=key,
        recipient=recipient,
        template="assignment_new",
        context={"application": application, "assignment": assignment, "factory": "LUMI AIF"},
        application=application,
    )


def test_it_stores_an_email_once_per_key(routed, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = queue(routed, key="custom:1")
        second = queue(routed, key="custom:1", recipient="someone-else@csc.fi")

    assert first == second
    assert Notification.objects.filter(key="custom:1").count() == 1
    assert len(callbacks) == 1  # only the first enqueues a send
    assert [m.to for m in mailoutbox] == [["tess@csc.fi"]]
    assert mailoutbox[0].subject.startswith("[AI Factory portal] ")


def test_it_sends_once_however_often_the_task_runs(routed, mailoutbox):
    notification = queue(routed, key="custom:2")

    results = [tasks.send_notification.delay(notification.pk).get() for _ in range(3)]

    assert results == [True, False, False]
    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert notification.attempts == 1
    assert len(mailoutbox) == 1
    assert mailoutbox[0].body == notification.body


def test_it_sends_nothing_for_a_notification_that_is_gone(db, mailoutbox):
    assert review_services.notification_send(notification_id=999_999) is False
    assert mailoutbox == []


def test_it_keeps_an_email_unsent_when_the_mail_server_fails(routed, monkeypatch, mailoutbox):
    notification = queue(routed, key="custom:3")

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr(review_services, "send_mail", refuse)
    with pytest.raises(ConnectionRefusedError):
        review_services.notification_send(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.sent_at is None
    monkeypatch.undo()
    assert review_services.notification_send(notification_id=notification.pk) is True
    assert len(mailoutbox) == 1


def test_the_sweep_sends_emails_whose_message_was_lost(routed, mailoutbox):
    # Routing queued Tess's email, but its on-commit enqueue never ran (lost message).
    assert Notification.objects.filter(sent_at__isnull=True).count() == 1
    assert mailoutbox == []

    young = review_services.applications_sweep()  # default: only older than two minutes
    swept = review_services.applications_sweep(older_than=timedelta(0))
    again = review_services.applications_sweep(older_than=timedelta(0))

    assert young == {"applications": 0, "notifications": 0}
    assert swept == {"applications": 0, "notifications": 1}
    assert again == {"applications": 0, "notifications": 0}
    assert [m.to for m in mailoutbox] == [["tess@csc.fi"]]


def test_the_sweep_routes_submitted_applications_only(
    submit_application, routed, alice, site_x, mailoutbox
):
    from access_requests import services

    waiting = submit_application(title="Waiting")
    withdrawn = submit_application(title="Withdrawn")
    services.application_withdraw(application=withdrawn, actor=alice)

    result = review_services.applications_sweep(older_than=timedelta(0))

    assert result["applications"] == 1
    waiting.refresh_from_db()
    withdrawn.refresh_from_db()
    assert waiting.status == ApplicationStatus.UNDER_REVIEW
    assert withdrawn.status == ApplicationStatus.WITHDRAWN
    assert routed.assignments.count() == 1


def test_it_keeps_the_application_submitted_when_the_broker_is_down(
    submit_application, site_x, django_capture_on_commit_callbacks, caplog, mailoutbox
):
    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING),
        broker_unreachable(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        application = submit_application()

    assert time.monotonic() - started < 10  # the settings make publishing fail fast
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.submitted_at is not None
    assert not application.assignments.exists()
    assert f"Could not enqueue routing of application {application.pk}" in caplog.text

    # The broker is back (eager here): the sweep picks it up and it is routed, emails sent.
    with django_capture_on_commit_callbacks(execute=True):
        swept = review_services.applications_sweep(older_than=timedelta(0))
    assert swept["applications"] == 1
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert [m.to for m in mail.outbox] == [["tess@csc.fi"]]


def test_it_keeps_the_email_for_the_sweep_when_the_broker_is_down(
    submit_application, site_x, django_capture_on_commit_callbacks, caplog, mailoutbox
):
    application = submit_application()
    with (
        caplog.at_level(logging.WARNING),
        broker_unreachable(patient=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        review_services.application_route(application_id=application.pk)

    assert "Could not enqueue send_notification" in caplog.text
    assert mailoutbox == []
    assert review_services.applications_sweep(older_than=timedelta(0))["notifications"] == 1
    assert [m.to for m in mailoutbox] == [["tess@csc.fi"]]
