"""Development mail: one file per email under var/mail/ (portal.mail.FilePerEmailBackend),
chosen when no backend is configured and the tests are not running; and the one site address."""

from __future__ import annotations

import json
from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives, get_connection, send_mail

from portal.mail import site_url

from .test_settings import ROOT, _run

BACKEND = "portal.mail.FilePerEmailBackend"


@pytest.fixture
def mail_dir(settings, tmp_path):
    settings.EMAIL_BACKEND = BACKEND
    settings.EMAIL_FILE_PATH = tmp_path / "mail"  # created on the first email
    return tmp_path / "mail"


def read(path):
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def test_it_writes_each_email_to_its_own_file(mail_dir):
    for i in range(3):  # within the same second, each with its own connection
        send_mail(f"Subject {i}", f"Body {i}", "portal@example.org", [f"to{i}@example.org"])

    files = sorted(mail_dir.iterdir())
    assert len(files) == 3
    assert all(f.suffix == ".eml" for f in files)
    assert sorted(read(f)["Subject"] for f in files) == ["Subject 0", "Subject 1", "Subject 2"]


def test_it_writes_one_file_per_email_also_on_one_connection(mail_dir):
    messages = [
        EmailMultiAlternatives(f"Batch {i}", "text", "portal@example.org", ["x@example.org"])
        for i in range(4)
    ]
    for message in messages:
        message.attach_alternative("<p>html</p>", "text/html")

    with get_connection() as connection:
        assert connection.send_messages(messages) == 4

    files = sorted(mail_dir.iterdir())
    assert len(files) == 4
    parsed = read(files[0])
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed.get_body(("plain",)).get_content().strip() == "text"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>html</p>"


def test_the_file_name_says_what_the_email_is_about(mail_dir):
    send_mail("Application #7 received: Ünïcode / title", "x", "p@example.org", ["a@example.org"])

    (path,) = mail_dir.iterdir()
    assert path.name.endswith("-application-7-received-n-code-title.eml")


def test_the_tests_keep_emails_in_memory(settings):
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    send_mail("s", "b", "p@example.org", ["a@example.org"])
    assert len(mail.outbox) == 1


SHOW_MAIL = """
import json
from django.conf import settings
print(json.dumps({"backend": settings.EMAIL_BACKEND, "path": str(settings.EMAIL_FILE_PATH)}))
"""


def test_without_a_configured_backend_development_mail_goes_to_files_under_var_mail():
    result = _run(["-c", SHOW_MAIL])
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)

    assert shown == {"backend": BACKEND, "path": str(ROOT / "var" / "mail")}


def test_a_configured_backend_wins():
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    result = _run(["-c", SHOW_MAIL], DJANGO_EMAIL_BACKEND=smtp)

    assert json.loads(result.stdout)["backend"] == smtp


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/applications/3/", "https://portal.example.eu/applications/3/"),
        ("http://testserver:8101/accounts/x/?a=1#f", "https://portal.example.eu/accounts/x/?a=1#f"),
        ("", "https://portal.example.eu/"),
    ],
)
def test_site_url_puts_a_path_or_a_request_url_on_the_portal_address(settings, path, expected):
    settings.PORTAL_SITE_URL = "https://portal.example.eu"

    assert site_url(path) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/applications/3/", "https://example.eu/portal/applications/3/"),
        ("http://10.0.0.5:8000/portal/accounts/x/", "https://example.eu/portal/accounts/x/"),
    ],
)
def test_site_url_keeps_the_path_the_portal_is_served_under(settings, path, expected):
    settings.PORTAL_SITE_URL = "https://example.eu/portal"

    assert site_url(path) == expected
