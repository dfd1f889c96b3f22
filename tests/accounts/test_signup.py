"""Sign-up asks for the person's given and family name; allauth's emails name the portal, link
to PORTAL_SITE_URL (never the host the request came in on) and have a text and an HTML part."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.urls import resolve

from accounts.models import User
from tests.model_factories import UserFactory

pytestmark = pytest.mark.django_db

PORTAL = "http://127.0.0.1:8101"
PASSWORD = "correct-horse-battery-42"


@pytest.fixture(autouse=True)
def portal_address(settings):
    """The portal served on another port than the request's host (`testserver`) says."""
    settings.PORTAL_SITE_URL = PORTAL


def sign_up(client, **changes):
    values = {
        "first_name": "Nora",
        "last_name": "Neural",
        "email": "nora@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **changes,
    }
    return client.post("/accounts/signup/", values)


def links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


def html_part(message) -> str:
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return html


# --- Names ----------------------------------------------------------------------------------------


def test_it_signs_up_with_a_given_and_a_family_name(client, mailoutbox):
    response = sign_up(client, first_name="  Nora ", last_name=" Neural  ")

    assert response.status_code == 302
    user = User.objects.get(email="nora@example.org")
    assert (user.first_name, user.last_name) == ("Nora", "Neural")
    assert str(user) == "Nora Neural"
    assert not EmailAddress.objects.get(user=user).verified
    assert [m.to for m in mailoutbox] == [["nora@example.org"]]


def test_the_sign_up_page_asks_for_both_names(client):
    page = client.get("/accounts/signup/").content.decode()

    assert 'name="first_name"' in page and 'autocomplete="given-name"' in page
    assert 'name="last_name"' in page and 'autocomplete="family-name"' in page
    assert page.index('name="first_name"') < page.index('name="email"')


@pytest.mark.parametrize(
    "changes",
    [
        {"first_name": ""},
        {"last_name": ""},
        {"first_name": "   "},
        {"first_name": "", "last_name": ""},
    ],
    ids=["no-given-name", "no-family-name", "blank-given-name", "no-name"],
)
def test_it_refuses_a_sign_up_without_a_name(client, mailoutbox, changes):
    response = sign_up(client, **changes)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {f for f, v in changes.items() if not v.strip()}
    assert all(messages == ["This field is required."] for messages in errors.values())
    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()
    assert mailoutbox == []


@pytest.mark.parametrize(
    "name",
    [
        "Nora\nBcc: x@evil.example",
        "No\rra",
        "No\x00ra",
        "Nora\tN",
        "Nora\u2028Neural",
        "\u202eaioN",
    ],
    ids=["line-feed", "carriage-return", "nul", "tab", "line-separator", "bidi-override"],
)
def test_it_refuses_a_name_with_a_control_character_or_a_line_break(client, mailoutbox, name):
    response = sign_up(client, last_name=name)

    assert response.status_code == 200
    assert (
        "Use letters, spaces and punctuation only: no line breaks or control characters."
        in response.context["form"].errors["last_name"]
    )
    assert not User.objects.exists()
    assert mailoutbox == []


def test_it_accepts_names_in_any_script(client):
    sign_up(client, first_name="Zoë-Åsa", last_name="D'Ángelo Ωμέγα 李")

    assert str(User.objects.get()) == "Zoë-Åsa D'Ángelo Ωμέγα 李"


def test_it_refuses_a_name_longer_than_150_characters(client):
    response = sign_up(client, first_name="N" * 151)

    assert "first_name" in response.context["form"].errors
    assert not User.objects.exists()


# --- allauth's emails -----------------------------------------------------------------------------


def test_the_confirmation_email_links_to_the_portal_address_not_the_request_host(
    client, mailoutbox
):
    sign_up(client)

    (message,) = mailoutbox
    html = html_part(message)
    for part in (message.subject, message.body, html):
        assert "testserver" not in part
    assert message.subject == "[AI Factory portal] Please Confirm Your Email Address"
    assert message.body.startswith("Hello Nora Neural,\n")
    assert "Hello Nora Neural," in html
    assert "AI Factory access portal" in message.body and "AI Factory access portal" in html
    (link,) = {u for u in links(message.body) if "/confirm-email/" in u}
    assert link.startswith(f"{PORTAL}/accounts/confirm-email/")
    assert f'href="{link}"' in html
    assert set(links(message.body)) == set(links(html))
    assert all(u.startswith(f"{PORTAL}/") for u in links(message.body) + links(html))
    # The link's path is the confirmation page (anyone holding the email may open it).
    assert resolve(urlsplit(link).path).url_name == "account_confirm_email"
    assert client.get(urlsplit(link).path).status_code == 200


def test_the_password_reset_email_links_to_the_portal_address(client, mailoutbox):
    UserFactory(email="nora@example.org", first_name="Nora", last_name="Neural")

    client.post("/accounts/password/reset/", {"email": "nora@example.org"})

    (message,) = mailoutbox
    html = html_part(message)
    (link,) = {u for u in links(message.body) if "/password/reset/key/" in u}
    assert link.startswith(f"{PORTAL}/accounts/password/reset/key/")
    assert f'href="{link}"' in html
    assert "testserver" not in message.body + html
    assert message.body.startswith("Hello Nora Neural,\n")
    # It opens the form to choose a new password (through allauth's redirect to a keyless URL).
    page = client.get(urlsplit(link).path, follow=True)
    assert page.status_code == 200
    assert resolve(page.request["PATH_INFO"]).url_name == "account_reset_password_from_key"
    assert 'name="password1"' in page.content.decode()


def test_an_unknown_address_is_greeted_by_no_name_even_from_a_signed_in_browser(client, mailoutbox):
    client.force_login(UserFactory(first_name="Alice", last_name="Applicant"))

    client.post("/accounts/password/reset/", {"email": "stranger@example.org"})

    (message,) = mailoutbox
    assert message.to == ["stranger@example.org"]
    assert message.subject == "[AI Factory portal] Unknown Account"
    assert message.body.startswith("Hello,\n")
    assert "Alice" not in message.body + html_part(message)
    assert f"{PORTAL}/accounts/signup/" in message.body


def test_signing_up_again_with_a_known_address_sends_a_reset_link_there(client, mailoutbox):
    UserFactory(email="nora@example.org")

    sign_up(client)

    (message,) = mailoutbox
    assert message.subject == "[AI Factory portal] Account Already Exists"
    assert f"{PORTAL}/accounts/password/reset/" in message.body
    assert f'href="{PORTAL}/accounts/password/reset/"' in html_part(message)
    assert "testserver" not in message.body


def test_a_notification_without_an_html_template_gets_the_text_in_the_layout(
    rf, settings, mailoutbox
):
    from allauth.account.adapter import get_adapter
    from allauth.core.context import request_context

    settings.ACCOUNT_EMAIL_NOTIFICATIONS = True
    user = UserFactory(email="nora@example.org", first_name="Nora", last_name="Neural")
    request = rf.get("/")
    request.user = user

    with request_context(request):
        get_adapter(request).send_notification_mail("mfa/email/totp_activated", user)

    (message,) = mailoutbox
    html = html_part(message)
    assert "Authenticator app activated." in message.body
    assert "Authenticator app activated." in html
    assert "Hello Nora Neural," in message.body and "Hello Nora Neural," in html
    assert f'href="{PORTAL}/"' in html


def test_it_logs_the_verification_link_on_its_own_line_in_debug(client, settings, caplog):
    settings.DEBUG = True

    with caplog.at_level(logging.INFO, logger="accounts.adapter"):
        sign_up(client)

    (record,) = [r for r in caplog.records if r.name == "accounts.adapter"]
    line = record.getMessage()
    assert re.fullmatch(
        rf"Verification link for nora@example\.org: {re.escape(PORTAL)}/accounts/confirm-email/\S+",
        line,
    )


def test_it_does_not_log_the_verification_link_without_debug(client, caplog):
    with caplog.at_level(logging.INFO, logger="accounts.adapter"):
        sign_up(client)

    assert not [r for r in caplog.records if r.name == "accounts.adapter"]
