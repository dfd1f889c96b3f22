"""Emails are stored once (unique key) and sent once (`sent_at`), whatever retries and sweeps
do; the sweep re-enqueues what a lost message left behind."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from applications.models import ApplicationStatus
from notifications import services as notification_services
from notifications import services as notifications_services
from notifications import tasks
from notifications.models import Notification
from reviews.services import routing as routing_services
from tests.fixtures.reviews import broker_unreachable

pytestmark = pytest.mark.django_db


def queue(application, key: str = "assigned:1", recipient: str = "tess@csc.fi") -> Notification:
    assignment = application.assignments.first()
    return notifications_services.notification_queue(
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
    assert notifications_services.notification_send(notification_id=999_999) is False
    assert mailoutbox == []


def test_it_keeps_an_email_unsent_when_the_mail_server_fails(routed, monkeypatch, mailoutbox):
    notification = queue(routed, key="custom:3")

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr(notification_services.EmailMultiAlternatives, "send", refuse)
    with pytest.raises(ConnectionRefusedError):
        notifications_services.notification_send(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.sent_at is None
    monkeypatch.undo()
    assert notifications_services.notification_send(notification_id=notification.pk) is True
    assert len(mailoutbox) == 1


def test_the_sweep_sends_emails_whose_message_was_lost(routed, mailoutbox):
    # The submission queued Alice's receipt and routing Tess's email, but their on-commit
    # enqueues never ran (lost messages).
    assert Notification.objects.filter(sent_at__isnull=True).count() == 2
    assert mailoutbox == []

    young = routing_services.applications_sweep()  # default: only older than two minutes
    swept = routing_services.applications_sweep(older_than=timedelta(0))
    again = routing_services.applications_sweep(older_than=timedelta(0))

    assert young == {"applications": 0, "notifications": 0}
    assert swept == {"applications": 0, "notifications": 2}
    assert again == {"applications": 0, "notifications": 0}
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.org", "tess@csc.fi"]


def test_the_sweep_routes_submitted_applications_only(
    submit_application, routed, alice, site_x, mailoutbox
):
    from applications import services

    waiting = submit_application(title="Waiting")
    withdrawn = submit_application(title="Withdrawn")
    services.application_withdraw(application=withdrawn, actor=alice)

    result = routing_services.applications_sweep(older_than=timedelta(0))

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
    assert f"Could not enqueue reviews.tasks.route_application({application.pk},)" in caplog.text
    assert mail.outbox == []  # the receipt could not be enqueued either

    # The broker is back (eager here): the sweep picks it up and it is routed, emails sent.
    with django_capture_on_commit_callbacks(execute=True):
        swept = routing_services.applications_sweep(older_than=timedelta(0))
    assert swept == {"applications": 1, "notifications": 1}  # the receipt
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "tess@csc.fi"]


def test_it_keeps_the_email_for_the_sweep_when_the_broker_is_down(
    submit_application, site_x, django_capture_on_commit_callbacks, caplog, mailoutbox
):
    application = submit_application()
    with (
        caplog.at_level(logging.WARNING),
        broker_unreachable(patient=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        routing_services.application_route(application_id=application.pk)

    assert "Could not enqueue notifications.tasks.send_notification" in caplog.text
    assert mailoutbox == []
    # Tess's email, and Alice's receipt (whose enqueue at the submit's commit did not run).
    assert routing_services.applications_sweep(older_than=timedelta(0))["notifications"] == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.org", "tess@csc.fi"]


# --- The applicant's receipt ----------------------------------------------------------------------


def test_it_sends_the_applicant_a_receipt_once_on_submit(
    submit_application, alice, django_capture_on_commit_callbacks, mailoutbox
):
    from applications import services

    with django_capture_on_commit_callbacks(execute=True):
        application = submit_application()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(application=application, actor=alice)  # a double click

    application.refresh_from_db()
    (receipt,) = [m for m in mailoutbox if m.to == ["alice@example.org"]]
    assert Notification.objects.filter(key=f"receipt:{application.pk}").count() == 1
    assert receipt.subject == (
        f"[AI Factory portal] Application #{application.pk} received: "
        "Protein language model fine-tuning"
    )
    due = application.expected_decision_by
    (html, _), *_ = receipt.alternatives
    for part in (receipt.body, html):
        assert f"#{application.pk}" in part
        assert "LUMI" in part
        assert "AI Factories Fast Lane Access" in part
        assert "1,000" in part  # GPU-hours grouped for the reader
        assert f"{due.day} {due:%B %Y}" in part
        assert f"/applications/{application.pk}/" in part
    assert receipt.body.startswith("Hello Alice Applicant,\n")
    assert "Decision expected by:" in receipt.body


def test_the_receipt_is_sent_only_once_the_submission_commits(
    submit_application, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        application = submit_application()

    notification = Notification.objects.get(key=f"receipt:{application.pk}")
    assert notification.sent_at is None
    assert mailoutbox == []
    assert len(callbacks) == 2  # routing, then the receipt's send
    callbacks[1]()
    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert [m.to for m in mailoutbox] == [["alice@example.org"]]


def test_a_refused_submission_sends_no_receipt(
    alice, complete_values, django_capture_on_commit_callbacks, mailoutbox
):
    from django.core.exceptions import ValidationError

    from applications import services

    draft = services.application_create(applicant=alice, **{**complete_values, "title": ""})
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.application_submit(application=draft, actor=alice)

    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_the_receipt_of_a_cut_off_mode_says_which_cut_off(submit_application, mailoutbox):
    application = submit_application(mode="large-scale")

    body = Notification.objects.get(key=f"receipt:{application.pk}").body
    closes = timezone.localtime(application.cutoff.closes_at)
    assert f"the cut-off of {closes.day} {closes:%B %Y}" in body
    assert application.access_mode.name in body


def test_it_stores_and_sends_the_html_part(routed, mailoutbox):
    notification = Notification.objects.get(key__startswith="assigned:")
    assert notification.html_body.startswith("<!DOCTYPE html>")
    assert "Hello Tess Technical," in notification.html_body

    notifications_services.notification_send(notification_id=notification.pk)

    (message,) = mailoutbox
    assert message.alternatives == [(notification.html_body, "text/html")]


def test_an_email_stored_before_html_parts_is_sent_as_text(routed, mailoutbox):
    notification = Notification.objects.get(key__startswith="assigned:")
    Notification.objects.filter(pk=notification.pk).update(html_body="")

    notifications_services.notification_send(notification_id=notification.pk)

    (message,) = mailoutbox
    assert message.body == notification.body
    assert message.alternatives == []


def test_an_html_part_escapes_what_applicants_wrote(submit_application):
    application = submit_application(title='<script>alert("x")</script> & co')

    notification = Notification.objects.get(key=f"receipt:{application.pk}")
    assert "<script>" not in notification.html_body
    assert "&lt;script&gt;" in notification.html_body
    assert '<script>alert("x")</script> & co' in notification.body  # text is text
