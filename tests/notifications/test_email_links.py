"""Every email, as its recipients get it: a text and an HTML part, on the portal's address
(PORTAL_SITE_URL), and each link a page that recipient can open (an approver is never sent to
the admin, which they cannot use)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import resolve

from accounts.models import User
from allocations import services as allocation_services
from allocations.models import Allocation
from allocations.services import changes as change_services
from allocations.services import reclaim as reclaim_services
from allocations.services import reports as report_services
from allocations.services import usage_alerts
from applications import services as application_services
from factories.models import System
from notifications import services as notification_services
from notifications.models import Notification
from reviews.models import ConflictOfInterest
from reviews.services import deadlines as deadline_services
from reviews.services import decisions as decision_services
from tests.fixtures.reviews import CAPACITY, review_all
from tests.model_factories import UserFactory

pytestmark = pytest.mark.django_db

PORTAL = "http://127.0.0.1:8101"
# The template of a portal email, by the first part of its notification's key.
TEMPLATES = {
    "receipt": "receipt",
    "assigned": "assignment_new",
    "reminder": "assignment_reminder",
    "attention": "needs_attention",
    "overdue": "overdue",
    "ready": "ready_for_decision",
    "decision": "decision",
    "digest": "digest",
    "closed": "assignment_closed",
    "change-request": "change_request_new",
    "change-request-decided": "change_request_decided",
    "report-reminder": "report_reminder",
    "usage-alert": "usage_alert",
    "usage-nudge": "usage_nudge",
    "reclaim-notice": "reclaim_notice",
    "reclaim-answered": "reclaim_answered",
    "reclaim-decided": "reclaim_decided",
    "report-overdue": "report_overdue",  # to the applicant; with the approver's address:
}
SITE_TEMPLATES = {"report-overdue": "report_overdue_site"}  # the approvers' copy
# Sent and read in the tests of their own feature (a move changes who may open the links).
ELSEWHERE = {
    "application_moved": "tests/finder/test_rerouting.py",
    "move_proposed": "tests/finder/test_rerouting.py",
}


def template_of(notification) -> str:
    kind, *rest = notification.key.split(":")
    if kind in SITE_TEMPLATES and any("@" in part for part in rest):
        return SITE_TEMPLATES[kind]
    return TEMPLATES[kind]


def links(text: str) -> set[str]:
    return set(re.findall(r"https?://[^\s\"'<>]+", text))


def stranded_at_it4lia(submit_application, site_y, capture):
    """An application at IT4LIA whose one technical reviewer, Yann, turns out to have a conflict
    of interest with Alice's organisation by the time it is routed: nobody is left to route it
    to, so it needs attention."""
    System.objects.filter(pk=site_y.system.pk).update(allocatable_gpu_hours_per_year=CAPACITY)
    with capture() as after_commit:
        application = submit_application(system=site_y.system, title="At IT4LIA")
    ConflictOfInterest.objects.create(
        reviewer=site_y.technical[0], organisation=application.organisation,
        reason="He advises them.",
    )  # fmt: skip
    with capture(execute=True):
        for callback in after_commit:  # the routing and the receipt, as after the commit
            callback()
    return application


@pytest.fixture
def every_email(
    settings, submit_application, site_x, site_y, admin_user, django_capture_on_commit_callbacks
):
    """Every kind of portal email, sent through the services that send them: Alice's receipts,
    Tess's assignment and reminder, the overdue escalation and the "ready" email to Paula (and
    the admin), the decision to Alice, her change request to Paula and its decision, her
    report's reminder and escalation (to her and Paula), Tess's closed assignment when Alice
    withdraws another application, and the "needs attention" alert to IT4LIA's approver Yara
    and the admin; Yara takes hers in her daily digest."""
    settings.PORTAL_SITE_URL = PORTAL
    with django_capture_on_commit_callbacks(execute=True):
        lumi = submit_application()
    with django_capture_on_commit_callbacks(execute=True):
        deadline_services.deadlines_check(today=lumi.expected_decision_by + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        review_all(lumi)
    with django_capture_on_commit_callbacks(execute=True):
        decision_services.application_decide(
            application=lumi, approver=site_x.approver, outcome="approve", gpu_hours=800,
            comment="A sound plan.",
        )  # fmt: skip
    allocation = Allocation.objects.get(application=lumi)
    with django_capture_on_commit_callbacks(execute=True):
        change = change_services.change_request_create(
            allocation, user=lumi.applicant, kind="extension", reason="The data came late.",
            new_end=allocation.end + timedelta(days=30),
        )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        change_services.change_request_decide(
            change, approver=site_x.approver, outcome="reject", comment="Not this time."
        )
    with django_capture_on_commit_callbacks(execute=True):  # usage against the award, reclaim
        allocation = allocation_services.allocation_activate(
            allocation, actor=None, reason="Set up."
        )
        usage_alerts.usage_alerts_check(today=allocation.end)  # under-use: the nudge
        notice = reclaim_services.reclaim_notice_create(
            allocation, approver=site_x.approver, gpu_hours=100, reason="Idle."
        )
        reclaim_services.reclaim_notice_answer(notice, user=lumi.applicant, text="Take them.")
        reclaim_services.reclaim_decide(
            notice, approver=site_x.approver, outcome="reclaim", comment="Back."
        )
        allocation_services.allocation_record_usage(allocation, 700)  # 100 %: the alert
    report = allocation.reports.order_by("due_on").first()
    with django_capture_on_commit_callbacks(execute=True):
        report_services.reports_check(today=report.due_on - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        report_services.reports_check(today=report.due_on + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = submit_application(title="Withdrawn while under review")
    with django_capture_on_commit_callbacks(execute=True):
        application_services.application_withdraw(application=withdrawn, actor=lumi.applicant)
    notification_services.notification_preferences_update(
        user=site_y.approver, turned_off=[], daily_digest=True, language=""
    )
    stranded_at_it4lia(submit_application, site_y, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_services.notifications_digest_send() == 1
    notifications = list(Notification.objects.order_by("pk"))
    assert all(n.sent_at is not None for n in notifications)
    return notifications


def test_it_covers_every_email_template(every_email):
    made = {template_of(n) for n in every_email}
    on_disk = {
        p.name.removesuffix("_subject.txt")
        for p in (Path(settings.BASE_DIR) / "templates" / "emails").glob("*_subject.txt")
    }

    assert (
        made == on_disk - set(ELSEWHERE) == set(TEMPLATES.values()) | set(SITE_TEMPLATES.values())
    )


def test_every_email_is_sent_in_text_and_html(every_email, mailoutbox):
    delivered = [n for n in every_email if n.delivery == Notification.Delivery.EMAIL]
    assert len(mailoutbox) == len(delivered) == len(every_email) - 1  # one in Yara's digest
    sent = {(m.to[0], m.subject): m for m in mailoutbox}
    for notification in delivered:
        message = sent[(notification.recipient, notification.subject)]
        assert message.body == notification.body
        assert message.alternatives == [(notification.html_body, "text/html")]
        assert notification.html_body.startswith("<!DOCTYPE html>")
        # The same links in both parts (the HTML one also to the portal's home page).
        assert links(notification.body) - {f"{PORTAL}/"} == links(notification.html_body) - {
            f"{PORTAL}/"
        }


def test_every_email_greets_its_recipient_by_name(every_email):
    for notification in every_email:
        user = User.objects.get(email=notification.recipient)
        greeting = f"Hello {user},"  # the full name, or the address of an account without one
        assert notification.body.startswith(greeting), notification.key
        assert f"<p>Hello {user},</p>" in notification.html_body, notification.key
    assert User.objects.get(email="admin@example.org").get_full_name() == ""
    assert any(n.body.startswith("Hello Paula Approver,") for n in every_email)
    assert any(n.body.startswith("Hello admin@example.org,") for n in every_email)


def test_every_link_opens_a_page_its_recipient_can_use(client, every_email):
    checked = 0
    for notification in every_email:
        user = User.objects.get(email=notification.recipient)
        client.force_login(user)
        for url in links(notification.body) | links(notification.html_body):
            assert url.startswith(f"{PORTAL}/"), (notification.key, url)
            bits = urlsplit(url)
            resolve(bits.path)  # raises Resolver404 for a link to nowhere
            response = client.get(f"{bits.path}?{bits.query}" if bits.query else bits.path)
            assert response.status_code == 200, (notification.key, user.email, url)
            checked += 1
        client.logout()
    assert checked > 2 * len(every_email)


def test_approvers_are_sent_to_the_sites_page_and_staff_to_the_admin(every_email):
    by = {(n.key.split(":")[0], n.recipient): n for n in every_email}

    for kind in ("attention", "overdue", "ready"):
        for email in ("paula@csc.fi", "yara@cineca.it"):
            notification = by.get((kind, email))
            if notification is not None:
                assert "/admin/" not in notification.body + notification.html_body
                assert "/review/applications/" in notification.body
    for kind in ("attention", "overdue"):
        notification = by[(kind, "admin@example.org")]
        assert "/admin/applications/application/" in notification.body
        assert "/review/applications/" not in notification.body  # he is no approver there
    assert {kind for kind, email in by if email == "yara@cineca.it"} == {"attention", "digest"}


def test_an_approver_who_is_staff_too_gets_both_links(
    settings, submit_application, site_y, django_capture_on_commit_callbacks
):
    settings.PORTAL_SITE_URL = PORTAL
    User.objects.filter(pk=site_y.approver.pk).update(is_superuser=True, is_staff=True)

    application = stranded_at_it4lia(submit_application, site_y, django_capture_on_commit_callbacks)

    (notification,) = Notification.objects.filter(key__startswith="attention:")
    assert notification.recipient == "yara@cineca.it"
    assert f"{PORTAL}/review/applications/{application.pk}/" in notification.body
    assert f"{PORTAL}/admin/applications/application/{application.pk}/change/" in (
        notification.body
    )


# --- allauth's emails: their recipients are not signed in -----------------------------------------


@pytest.fixture
def portal(settings):
    settings.PORTAL_SITE_URL = PORTAL


def allauth_links(message) -> set[str]:
    (html, _), *_ = message.alternatives
    found = links(message.body) | links(html)
    assert links(message.body) == links(html)
    return found


@pytest.mark.parametrize(
    "case", ["signup", "signup-again", "password-reset", "password-reset-unknown"]
)
def test_every_link_of_allauths_emails_opens_a_page(client, portal, mailoutbox, case):
    known = UserFactory(email="nora@example.org", first_name="Nora", last_name="Neural")
    signup = {
        "first_name": "Nina",
        "last_name": "New",
        "email": "nina@example.org",
        "password1": "correct-horse-battery-42",
        "password2": "correct-horse-battery-42",
    }
    if case == "signup":
        client.post("/accounts/signup/", signup)
    elif case == "signup-again":
        client.post("/accounts/signup/", {**signup, "email": known.email})
    else:
        email = known.email if case == "password-reset" else "stranger@example.org"
        client.post("/accounts/password/reset/", {"email": email})
    client.logout()

    (message,) = mailoutbox
    found = allauth_links(message)
    assert len(found) >= 2  # the email's own link, and the portal's home page
    for url in found:
        assert url.startswith(f"{PORTAL}/"), url
        path = urlsplit(url).path
        resolve(path)
        response = client.get(path, follow=True)
        assert response.status_code == 200, url
        assert resolve(response.request["PATH_INFO"]).url_name != "account_login", url
