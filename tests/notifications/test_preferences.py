"""Email preferences: optional emails turned off (mandatory ones refused), reviewers' and
approvers' emails in a daily digest, each email in its recipient's language, and an unsubscribe
link (and List-Unsubscribe header) in every optional email that works without signing in."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from django_celery_beat.models import PeriodicTask

from notifications import selectors, tasks
from notifications import services as notification_services
from notifications.models import Notification, NotificationPreference
from reviews.services import decisions as decision_services
from reviews.services import routing as routing_services
from tests.fixtures.reviews import review_all
from tests.queries import SESSION_QUERIES, USER_QUERIES

pytestmark = pytest.mark.django_db


def prefer(user, *, turned_off=(), daily_digest=False, language=""):
    return notification_services.notification_preferences_update(
        user=user, turned_off=list(turned_off), daily_digest=daily_digest, language=language
    )


def route(application, capture):
    with capture(execute=True):
        routing_services.application_route(application_id=application.pk)


def submit(submit_application, capture):
    with capture(execute=True):
        return submit_application()


# --- Which emails ---------------------------------------------------------------------------------


def test_an_email_turned_off_is_not_sent(
    submit_application, site_x, mailoutbox, django_capture_on_commit_callbacks
):
    tess = site_x.technical[0]
    prefer(tess, turned_off=["assigned"])

    application = submit(submit_application, django_capture_on_commit_callbacks)
    route(application, django_capture_on_commit_callbacks)

    assigned = Notification.objects.get(key__startswith="assigned:", recipient=tess.email)
    assert assigned.delivery == Notification.Delivery.OFF
    assert assigned.sent_at is not None  # the sweep does not retry it
    assert [m.to for m in mailoutbox] == [["alice@example.org"]]  # her receipt only


def test_a_mandatory_email_cannot_be_turned_off(alice):
    with pytest.raises(ValidationError) as refused:
        prefer(alice, turned_off=["receipt", "decision"])

    assert "cannot be turned off" in refused.value.message_dict["decision"][0]
    assert not NotificationPreference.objects.filter(user=alice).exists()  # nothing saved


def test_the_decision_reaches_an_applicant_who_turned_everything_else_off(
    routed, site_x, alice, mailoutbox, django_capture_on_commit_callbacks
):
    prefer(alice, turned_off=selectors_optional())
    with django_capture_on_commit_callbacks(execute=True):
        review_all(routed)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decision_services.application_decide(
            application=routed, approver=site_x.approver, outcome="approve", gpu_hours=800,
            comment="A sound plan.",
        )  # fmt: skip

    (message,) = [m for m in mailoutbox if m.to == ["alice@example.org"]]
    assert "decision" in message.subject.lower() or "approved" in message.body.lower()
    assert "List-Unsubscribe" not in message.extra_headers
    assert "/notifications/unsubscribe/" not in message.body


def selectors_optional() -> list[str]:
    from notifications.kinds import optional_kinds

    return optional_kinds()


# --- The preferences page -------------------------------------------------------------------------


def test_the_page_needs_a_sign_in(client):
    response = client.get("/notifications/preferences/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_page_saves_the_emails_and_the_language(client, alice, django_assert_num_queries):
    client.force_login(alice)
    checked = {f"email_{k.replace('-', '_')}": "on" for k in selectors_optional()}
    del checked["email_receipt"]

    response = client.post(
        "/notifications/preferences/", {**checked, "email_decision": "on", "language": "de"}
    )

    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=alice)
    assert preference.turned_off == ["receipt"]
    assert preference.language == "de"
    assert preference.daily_digest is False
    with django_assert_num_queries(SESSION_QUERIES + USER_QUERIES + 1):  # + her preferences
        page = client.get("/notifications/preferences/").content.decode()
    assert 'name="email_receipt"' in page
    assert 'id="id_email_receipt" checked' not in page
    # Saved in German: the page is German from now on.
    with translation.override("de"):
        assert gettext("Your email preferences were saved.") in page
    assert "daily_digest" not in page  # no reviewer emails: no digest to choose


def test_the_page_refuses_to_turn_a_mandatory_email_off_and_saves_nothing(client, alice):
    client.force_login(alice)

    response = client.post("/notifications/preferences/", {"language": "de"})  # all unchecked

    assert response.status_code == 200
    assert "this email cannot be turned off" in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert not NotificationPreference.objects.filter(user=alice).exists()


def test_reviewers_choose_the_daily_digest(client, site_x):
    tess = site_x.technical[0]
    client.force_login(tess)
    everything = {f"email_{k.replace('-', '_')}": "on" for k in selectors_optional()}

    page = client.get("/notifications/preferences/").content.decode()
    response = client.post(
        "/notifications/preferences/",
        {**everything, "email_decision": "on", "daily_digest": "1", "language": ""},
    )

    assert "Once a day, in one digest" in page
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=tess).daily_digest is True


# --- The daily digest -----------------------------------------------------------------------------


def test_a_reviewers_emails_wait_for_the_daily_digest(
    submit_application, site_x, mailoutbox, django_capture_on_commit_callbacks, settings
):
    tess = site_x.technical[0]
    prefer(tess, daily_digest=True)
    first = submit(submit_application, django_capture_on_commit_callbacks)
    route(first, django_capture_on_commit_callbacks)
    second = submit_application(title="A second plan")
    route(second, django_capture_on_commit_callbacks)
    assert not [m for m in mailoutbox if m.to == [tess.email]]  # held

    with django_capture_on_commit_callbacks(execute=True):
        made = tasks.send_digests.delay().get()
    again = notification_services.notifications_digest_send()

    assert (made, again) == (1, 0)
    (digest,) = [m for m in mailoutbox if m.to == [tess.email]]
    assert digest.subject == f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Your daily summary: 2 updates"
    assert digest.body.startswith("Hello Tess Technical,")
    assert digest.body.count("New review assignment:") == 2
    assert "A second plan" in digest.body
    assert digest.body.count("Hello ") == 1  # the items without their own greeting
    held = Notification.objects.filter(recipient=tess.email, key__startswith="assigned:")
    assert {n.digest.key.split(":")[0] for n in held} == {"digest"}
    assert "List-Unsubscribe" in digest.extra_headers


def test_the_digest_is_a_periodic_job(settings):
    assert settings.PORTAL_PERIODIC_TASKS["send-digests"] == {
        "task": "notifications.tasks.send_digests", "every_seconds": 86400,
    }  # fmt: skip
    assert PeriodicTask.objects.filter(
        name="send-digests", task="notifications.tasks.send_digests"
    ).exists()


# --- The language ---------------------------------------------------------------------------------


def test_each_email_is_written_in_its_recipients_language(
    submit_application, site_x, alice, django_capture_on_commit_callbacks
):
    tess = site_x.technical[0]
    prefer(tess, language="de")
    prefer(alice, language="fr")

    application = submit(submit_application, django_capture_on_commit_callbacks)
    route(application, django_capture_on_commit_callbacks)

    assigned = Notification.objects.get(key__startswith="assigned:", recipient=tess.email)
    receipt = Notification.objects.get(key__startswith="receipt:")
    assert '<html lang="de">' in assigned.html_body
    assert '<html lang="fr">' in receipt.html_body
    others = Notification.objects.exclude(recipient__in=[tess.email, alice.email])
    assert all('<html lang="en">' in n.html_body for n in others)


def test_an_unknown_language_is_refused(alice):
    with pytest.raises(ValidationError) as refused:
        prefer(alice, language="xx-nowhere")

    assert "language" in refused.value.message_dict


# --- Unsubscribing --------------------------------------------------------------------------------


def receipt_of(mailoutbox):
    (receipt,) = [m for m in mailoutbox if m.to == ["alice@example.org"]]
    return receipt


def unsubscribe_link(message) -> str:
    (line,) = [x for x in message.body.splitlines() if x.startswith("Stop emails like this")]
    return line.split(": ", 1)[1].removeprefix("http://127.0.0.1:8000")


def test_an_optional_email_has_an_unsubscribe_link_and_header(
    submit_application, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.PORTAL_SITE_URL = "http://127.0.0.1:8000"
    submit(submit_application, django_capture_on_commit_callbacks)

    (receipt,) = [m for m in mailoutbox if m.to == ["alice@example.org"]]
    link = unsubscribe_link(receipt)
    assert receipt.extra_headers["List-Unsubscribe"] == f"<http://127.0.0.1:8000{link}>"
    assert "List-Unsubscribe-Post" not in receipt.extra_headers  # no CSRF-exempt POST
    html, _ = receipt.alternatives[0]
    assert f'href="http://127.0.0.1:8000{link}"' in html
    assert "List-Unsubscribe" in receipt.message().as_string()


def test_the_link_asks_first_then_unsubscribes_without_a_sign_in(
    submit_application, alice, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.PORTAL_SITE_URL = "http://127.0.0.1:8000"
    submit(submit_application, django_capture_on_commit_callbacks)
    link = unsubscribe_link(receipt_of(mailoutbox))
    browser = Client(enforce_csrf_checks=True)

    page = browser.get(link)
    assert page.status_code == 200
    assert "Receipt of a submitted application" in page.content.decode()
    assert not NotificationPreference.objects.filter(user=alice).exists()  # a GET changes nothing

    csrf = page.cookies["csrftoken"].value
    done = browser.post(link, {"csrfmiddlewaretoken": csrf})
    assert done.status_code == 200
    assert "no longer sent" in done.content.decode()
    assert NotificationPreference.objects.get(user=alice).turned_off == ["receipt"]

    mailoutbox.clear()
    submit(submit_application, django_capture_on_commit_callbacks)
    assert [m for m in mailoutbox if m.to == ["alice@example.org"]] == []  # no next receipt


def test_a_post_without_the_forms_csrf_token_is_refused(
    submit_application, alice, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.PORTAL_SITE_URL = "http://127.0.0.1:8000"
    submit(submit_application, django_capture_on_commit_callbacks)
    link = unsubscribe_link(receipt_of(mailoutbox))

    response = Client(enforce_csrf_checks=True).post(link)

    assert response.status_code == 403
    assert not NotificationPreference.objects.filter(user=alice).exists()


@pytest.mark.parametrize(
    "token", ["", "junk", "eyJlIjoiYWxpY2VAZXhhbXBsZS5vcmciLCJrIjoicmVjZWlwdCJ9"]
)
def test_a_forged_or_broken_link_is_refused(client, alice, token):
    url = f"/notifications/unsubscribe/?t={token}"

    assert client.get(url).status_code == 400
    response = client.post(url)
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    assert not NotificationPreference.objects.filter(user=alice).exists()


def test_a_link_for_a_mandatory_email_is_refused(client, alice):
    token = selectors.unsubscribe_token(alice.email, "decision")

    response = client.post(f"/notifications/unsubscribe/?t={token}")

    assert response.status_code == 400  # no mandatory email carries such a link
    assert "This link is not valid" in response.content.decode()
    assert not NotificationPreference.objects.filter(user=alice).exists()


def test_unsubscribing_from_the_digest_stops_every_email_it_gathers(client, site_x):
    tess = site_x.technical[0]
    prefer(tess, daily_digest=True, language="de")
    token = selectors.unsubscribe_token(tess.email, "digest")

    assert client.post(f"/notifications/unsubscribe/?t={token}").status_code == 200

    preference = NotificationPreference.objects.get(user=tess)
    assert {"assigned", "reminder", "ready", "overdue", "attention"} <= set(preference.turned_off)
    assert "receipt" not in preference.turned_off
    assert (preference.daily_digest, preference.language) == (True, "de")  # kept
